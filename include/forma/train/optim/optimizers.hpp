#pragma once
// Every optimizer forma ships (namespace forma::optim).
#include "forma/train/optim/adam.hpp"
#include "forma/train/optim/optimizer_concepts.hpp"
#include "forma/train/optim/rmsprop.hpp"
#include "forma/train/optim/sgd.hpp"
