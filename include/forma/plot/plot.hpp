#pragma once
// All of forma::plot: PNG pictures of data and training. Programs that include
// it link libpng (-lpng); the rest of forma needs no library, which is why
// forma/forma.hpp does not include this.
#include "forma/plot/atomic_file.hpp"
#include "forma/plot/canvas.hpp"
#include "forma/plot/font.hpp"
#include "forma/plot/history_chart.hpp"
#include "forma/plot/history_csv.hpp"
#include "forma/plot/image_grid.hpp"
#include "forma/plot/png.hpp"
