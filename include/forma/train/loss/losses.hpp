#pragma once
// Every loss forma ships (namespace forma::loss).
#include "forma/train/loss/binary_crossentropy.hpp"
#include "forma/train/loss/categorical_crossentropy.hpp"
#include "forma/train/loss/loss_concepts.hpp"
#include "forma/train/loss/mean_squared_error.hpp"
#include "forma/train/loss/sparse_categorical_crossentropy.hpp"
