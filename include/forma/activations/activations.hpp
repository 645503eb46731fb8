#pragma once
// Every activation tag forma ships.
#include "forma/activations/activation_concepts.hpp"
#include "forma/activations/leaky_relu.hpp"
#include "forma/activations/linear.hpp"
#include "forma/activations/relu.hpp"
#include "forma/activations/sigmoid.hpp"
#include "forma/activations/softmax.hpp"
#include "forma/activations/tanh.hpp"
