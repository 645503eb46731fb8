#pragma once
// forma::data: loaders (IDX / MNIST family, CIFAR-10), normalisation,
// labels, datasets and batches. Reading .gz files needs -lz.
#include "forma/data/batches.hpp"
#include "forma/data/cifar10.hpp"
#include "forma/data/data_error.hpp"
#include "forma/data/dataset.hpp"
#include "forma/data/idx.hpp"
#include "forma/data/image_set.hpp"
#include "forma/data/labels.hpp"
#include "forma/data/mnist.hpp"
#include "forma/data/normalize.hpp"
