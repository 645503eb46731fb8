#pragma once
// Every metric forma ships (namespace forma::metrics).
#include "forma/train/metrics/accuracy.hpp"
#include "forma/train/metrics/metric_concepts.hpp"
#include "forma/train/metrics/top_k_categorical_accuracy.hpp"
