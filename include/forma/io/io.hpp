#pragma once
// forma::io: weights on disk (safetensors files of a model's weights, and
// checkpoints of training: weights, optimizer state, epoch), and export of a
// trained model as a C++ header.
#include "forma/io/architecture_signature.hpp"
#include "forma/io/checkpoint.hpp"
#include "forma/io/export_header.hpp"
#include "forma/io/named_tensors.hpp"
#include "forma/io/optimizer_state.hpp"
#include "forma/io/safetensors.hpp"
#include "forma/io/tensor_layout.hpp"
#include "forma/io/weights.hpp"
#include "forma/io/weights_error.hpp"
