#pragma once
// Training: losses, optimizers, metrics, callbacks, compile / fit / evaluate.
#include "forma/train/callbacks/callbacks.hpp"
#include "forma/train/history.hpp"
#include "forma/train/loss/losses.hpp"
#include "forma/train/metrics/metrics.hpp"
#include "forma/train/optim/optimizers.hpp"
#include "forma/train/trainer.hpp"
