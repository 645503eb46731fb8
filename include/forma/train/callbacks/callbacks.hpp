#pragma once
#include "forma/train/callbacks/callback.hpp"
#include "forma/train/callbacks/early_stopping.hpp"
#include "forma/train/callbacks/lambda_callback.hpp"
#include "forma/train/callbacks/learning_rate_scheduler.hpp"
