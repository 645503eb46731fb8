// forma::plot: PNGs and CSV written to a temporary directory and read back
// with libpng's simplified API, checked by size and by the colour of pixels
// whose place follows from the documented layout.
#include <catch2/catch.hpp>

#include "temp_dir.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <png.h>

#include <forma/plot/plot.hpp>

#if defined(__unix__) || defined(__APPLE__)
#include <csignal>
#include <sys/resource.h>
#define FORMA_TEST_HAS_RLIMIT 1
#endif

using namespace forma;
using namespace forma::plot;
namespace fs = std::filesystem;

namespace {

using forma_test::temp_dir;

struct png_file {
  int width = 0, height = 0;
  std::vector<std::uint8_t> rgb;
  Rgb at(int x, int y) const {
    const auto i = (static_cast<std::size_t>(y) * static_cast<std::size_t>(width) + static_cast<std::size_t>(x)) * 3;
    return {rgb.at(i), rgb.at(i + 1), rgb.at(i + 2)};
  }
  // Pixels of exactly colour c in [x0, x1) x [y0, y1).
  int count(Rgb c, int x0, int y0, int x1, int y1) const {
    int n = 0;
    for (int y = y0; y < y1; ++y)
      for (int x = x0; x < x1; ++x) n += at(x, y) == c;
    return n;
  }
  int count(Rgb c) const { return count(c, 0, 0, width, height); }
};

png_file read_png(const fs::path& path) {
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  INFO("reading " << path.string());
  REQUIRE(png_image_begin_read_from_file(&image, path.string().c_str()) != 0);
  image.format = PNG_FORMAT_RGB;
  png_file f;
  f.width = static_cast<int>(image.width);
  f.height = static_cast<int>(image.height);
  f.rgb.resize(PNG_IMAGE_SIZE(image));
  const bool ok = png_image_finish_read(&image, nullptr, f.rgb.data(), 0, nullptr) != 0;
  INFO((ok ? "" : image.message));
  REQUIRE(ok);
  return f;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string write_error_message(auto&& f) {
  try {
    f();
  } catch (const write_error& e) {
    return e.what();
  }
  return "(no write_error)";
}

History sample_history(int epochs) {
  History h;
  for (int e = 0; e < epochs; ++e) {
    Logs logs;
    logs.set("loss", 1.0 / (e + 1));
    logs.set("accuracy", 0.5 + 0.08 * e);
    logs.set("val_loss", 1.2 / (e + 1) + 0.1);
    logs.set("val_accuracy", 0.45 + 0.07 * e);
    h.record(e, logs);
  }
  return h;
}

}  // namespace

// --- write_png and atomic replacement ---------------------------------------

TEST_CASE("write_png writes every pixel of a canvas", "[plot]") {
  temp_dir dir;
  Canvas c(7, 5, Rgb{10, 20, 30});
  c.set(0, 0, colors::red);
  c.set(6, 4, Rgb{1, 2, 3});
  c.fill_rect(2, 1, 3, 2, colors::white);
  write_png(c, dir / "c.png");
  const png_file f = read_png(dir / "c.png");
  REQUIRE(f.width == 7);
  REQUIRE(f.height == 5);
  CHECK(f.rgb == c.pixels());
  CHECK(f.at(0, 0) == colors::red);
  CHECK(f.at(6, 4) == Rgb{1, 2, 3});
  CHECK(f.at(3, 2) == colors::white);
  CHECK(f.at(3, 3) == Rgb{10, 20, 30});
  CHECK(dir.listing() == std::set<std::string>{"c.png"});  // no temporary left behind
}

TEST_CASE("write_png replaces an existing file", "[plot]") {
  temp_dir dir;
  write_png(Canvas(3, 3, colors::black), dir / "c.png");
  write_png(Canvas(4, 2, colors::white), dir / "c.png");
  const png_file f = read_png(dir / "c.png");
  CHECK(f.width == 4);
  CHECK(f.height == 2);
  CHECK(f.at(0, 0) == colors::white);
  CHECK(dir.listing() == std::set<std::string>{"c.png"});
}

TEST_CASE("Writing into a missing directory throws write_error naming the path", "[plot]") {
  temp_dir dir;
  const fs::path path = dir.path() / "no_such_dir" / "grid.png";
  try {
    write_png(Canvas(2, 2), path);
    FAIL("no exception");
  } catch (const write_error& e) {
    CHECK_THAT(e.what(), Catch::Contains(path.string()));
    CHECK_THAT(e.what(), Catch::Contains("No such file or directory"));
    CHECK(e.path() == path);
  }
  bool caught = false;  // write_error is a std::runtime_error
  try {
    history_csv(sample_history(1), path.parent_path() / "h.csv");
  } catch (const std::runtime_error& e) {
    caught = true;
    CHECK_THAT(e.what(), Catch::Contains((path.parent_path() / "h.csv").string()));
  }
  CHECK(caught);
  CHECK_THAT(write_error_message([&] { history_chart(sample_history(2), path); }), Catch::Contains(path.string()));
  CHECK_FALSE(fs::exists(path.parent_path()));
}

TEST_CASE("A failed write leaves the existing file unchanged and nothing beside it", "[plot]") {
  temp_dir dir;
  const fs::path path = dir / "chart.png";
  write_png(Canvas(5, 4, colors::orange), path);
  const std::string before = read_text(path);
  REQUIRE(before.size() > 8);

  SECTION("the writer reports an error halfway") {
    const std::string msg = write_error_message([&] {
      write_atomically(path, [](std::FILE* f, std::string& why) {
        std::fputs("half a PNG", f);
        why = "simulated failure";
        return false;
      });
    });
    CHECK_THAT(msg, Catch::Contains(path.string()) && Catch::Contains("simulated failure"));
  }
  SECTION("the writer throws") {
    CHECK_THROWS_WITH(write_atomically(path,
                                       [](std::FILE* f, std::string&) -> bool {
                                         std::fputs("half a PNG", f);
                                         throw std::logic_error("boom");
                                       }),
                      "boom");
  }
  SECTION("the target cannot be replaced") {
    const fs::path sub = dir / "sub.png";  // a directory where the file should go
    fs::create_directory(sub);
    CHECK_THAT(write_error_message([&] { write_png(Canvas(2, 2), sub); }), Catch::Contains(sub.string()));
    CHECK(fs::is_directory(sub));
    fs::remove(sub);
  }
#ifdef FORMA_TEST_HAS_RLIMIT
  SECTION("the file system refuses the bytes (file size limit)") {
    // A real write failure, which root cannot bypass as it can permissions.
    struct limit_guard {
      rlimit old{};
      void (*old_handler)(int);
      explicit limit_guard(rlim_t bytes) : old_handler(std::signal(SIGXFSZ, SIG_IGN)) {
        getrlimit(RLIMIT_FSIZE, &old);
        rlimit lim = old;
        lim.rlim_cur = bytes;
        setrlimit(RLIMIT_FSIZE, &lim);
      }
      ~limit_guard() {
        setrlimit(RLIMIT_FSIZE, &old);
        std::signal(SIGXFSZ, old_handler);
      }
    };
    Canvas noise(300, 300);  // noise does not compress: a PNG far above the limit
    std::mt19937 gen(7);
    for (int y = 0; y < 300; ++y)
      for (int x = 0; x < 300; ++x)
        noise.set(x, y, Rgb{static_cast<std::uint8_t>(gen()), static_cast<std::uint8_t>(gen()),
                            static_cast<std::uint8_t>(gen())});
    std::string msg;
    {
      const limit_guard guard(4096);
      msg = write_error_message([&] { write_png(noise, path); });
    }
    CHECK_THAT(msg, Catch::Contains(path.string()));
  }
#endif
  CHECK(read_text(path) == before);
  CHECK(dir.listing() == std::set<std::string>{"chart.png"});
}

// --- font -------------------------------------------------------------------

TEST_CASE("The font measures text and draws unknown characters as a box", "[plot]") {
  CHECK(text_width("") == 0);
  CHECK(text_width("a") == 5);
  CHECK(text_width("ab") == 11);
  CHECK(text_width("ab", 3) == 33);
  CHECK(text_width("ab\nabc") == 17);
  CHECK(text_width("\xC3\xA9") == 5);  // "é": one box for the UTF-8 sequence
  CHECK(text_height("a") == 9);
  CHECK(text_height("a\nb", 2) == 40);

  Canvas c(8, 10);
  draw_text(c, 1, 1, "\x01", colors::black);
  CHECK(c.at(1, 1) == colors::black);  // the box's corners
  CHECK(c.at(5, 1) == colors::black);
  CHECK(c.at(5, 7) == colors::black);
  CHECK(c.at(3, 4) == colors::white);  // and its hollow inside

  Canvas a(8, 10);
  draw_text(a, 1, 1, "A", colors::red, 1);  // .###. on top, #...# below
  CHECK(a.at(1, 1) == colors::white);
  CHECK(a.at(2, 1) == colors::red);
  CHECK(a.at(1, 2) == colors::red);
  CHECK(a.at(3, 2) == colors::white);
}

TEST_CASE("Every printable ASCII character has a glyph of its own", "[plot]") {
  int distinct_pairs = 0, pairs = 0;
  for (int i = 0; i < 95; ++i) {
    bool empty = true;
    for (int r = 0; r < font::glyph_rows; ++r) empty = empty && detail::glyphs[i][r] == 0;
    INFO("character " << static_cast<char>(i + 32));
    CHECK(empty == (i == 0));  // only the space is blank
    CHECK_FALSE(std::equal(std::begin(detail::glyphs[i]), std::end(detail::glyphs[i]), detail::unknown_glyph));
    for (int j = i + 1; j < 95; ++j, ++pairs)
      distinct_pairs += !std::equal(std::begin(detail::glyphs[i]), std::end(detail::glyphs[i]), detail::glyphs[j]);
  }
  CHECK(distinct_pairs == pairs);
}

// --- image grids ------------------------------------------------------------

TEST_CASE("image_grid places each image in its cell with its class name under it", "[plot]") {
  static_assert(image_channels_supported<Shape<28, 28, 1>> && image_channels_supported<Shape<32, 32, 3>>);
  static_assert(!image_channels_supported<Shape<28, 28, 2>> && !image_channels_supported<Shape<784>>);
  using image = Tensor<Shape<6, 5, 1>, float>;  // H = 6, W = 5
  std::vector<image> images(4);
  images[0].fill(1.0f);  // white
  images[1].fill(0.5f);  // mid grey
  images[2](0, 4, 0) = 1.0f;  // top right corner
  images[2](5, 0, 0) = 2.0f;  // clamped to white
  images[2](1, 1, 0) = -1.0f;  // clamped to black
  images[2](2, 2, 0) = std::numeric_limits<float>::quiet_NaN();  // black
  const std::vector<std::uint32_t> labels = {0, 1, 2, 0};
  const std::vector<std::string> names = {"A", "B", "C"};

  grid_options o;
  o.count = 3;  // the fourth image is not drawn
  o.per_row = 2;
  o.scale = 4;  // 20 x 24 pixels an image
  o.background = Rgb{0, 0, 80};
  temp_dir dir;
  image_grid(images, labels, names, dir / "grid.png", o);
  const png_file f = read_png(dir / "grid.png");

  // Cells are 20 wide (the captions are narrower) and 24 + 5 + 9 high
  // (image, gap, caption), with margin and spacing 12: 2 x 2 cells.
  const int cell_w = 20, cell_h = 24 + 5 + 9;
  REQUIRE(f.width == 2 * 12 + 2 * cell_w + 12);
  REQUIRE(f.height == 2 * 12 + 2 * cell_h + 12);
  const auto cell_x = [&](int i) { return 12 + (i % 2) * (cell_w + 12); };
  const auto cell_y = [&](int i) { return 12 + (i / 2) * (cell_h + 12); };

  CHECK(f.count(colors::white, cell_x(0), cell_y(0), cell_x(0) + 20, cell_y(0) + 24) == 20 * 24);
  CHECK(f.at(cell_x(0) - 1, cell_y(0) + 10) == colors::frame);
  CHECK(f.at(cell_x(0) + 20, cell_y(0) + 10) == colors::frame);
  CHECK(f.at(cell_x(0) - 2, cell_y(0) + 10) == o.background);
  CHECK(f.count(Rgb{128, 128, 128}, cell_x(1), cell_y(1), cell_x(1) + 20, cell_y(1) + 24) == 20 * 24);

  const int x2 = cell_x(2), y2 = cell_y(2);
  CHECK(f.at(x2 + 4 * 4, y2) == colors::white);        // (h 0, w 4)
  CHECK(f.at(x2 + 4 * 4 + 3, y2 + 3) == colors::white);  // the whole 4 x 4 block
  CHECK(f.at(x2, y2) == colors::black);                  // (h 0, w 0)
  CHECK(f.at(x2, y2 + 5 * 4) == colors::white);          // (h 5, w 0), clamped
  CHECK(f.at(x2 + 4, y2 + 4) == colors::black);          // (h 1, w 1), clamped
  CHECK(f.at(x2 + 8, y2 + 8) == colors::black);          // (h 2, w 2), NaN
  CHECK(f.count(colors::white, x2, y2, x2 + 20, y2 + 24) == 2 * 16);

  // Captions: text pixels in the caption band of each drawn cell, and the
  // glyph of the right class there ("A" is .###. on top, "B" is ####.).
  for (int i = 0; i < 3; ++i) {
    INFO("cell " << i);
    CHECK(f.count(colors::ink, cell_x(i), cell_y(i) + 24, cell_x(i) + cell_w, cell_y(i) + cell_h) > 10);
    CHECK(f.count(colors::ink, cell_x(i), cell_y(i), cell_x(i) + cell_w, cell_y(i) + 24) == 0);
  }
  const int caption_x = cell_x(0) + (cell_w - 5) / 2, caption_y = cell_y(0) + 24 + 5;
  CHECK(f.at(caption_x, caption_y) == o.background);
  CHECK(f.at(caption_x + 1, caption_y) == colors::ink);
  CHECK(f.at(cell_x(1) + (cell_w - 5) / 2, caption_y) == colors::ink);
  // The fourth cell stays empty.
  CHECK(f.count(o.background, cell_x(3), cell_y(3), cell_x(3) + cell_w, cell_y(3) + cell_h) == cell_w * cell_h);
}

TEST_CASE("image_grid draws three channels as RGB and takes any contiguous range", "[plot]") {
  using image = Tensor<Shape<2, 3, 3>, double>;
  std::array<image, 1> images;
  images[0](0, 0, 0) = 1.0;  // red at (h 0, w 0)
  images[0](1, 2, 2) = 1.0;  // blue at (h 1, w 2)
  images[0](0, 1, 1) = 0.2;  // dark green at (h 0, w 1)
  const std::uint32_t label = 0;
  const std::vector<std::string> names = {"cat"};
  grid_options o;
  o.scale = 1;
  temp_dir dir;
  image_grid(images, std::span(&label, 1), names, dir / "a.png", o);
  image_grid(std::span<const image>(images), std::span(&label, 1), names, dir / "b.png", o);
  image_grid(std::span<image>(images), std::span(&label, 1), names, dir / "c.png", o);
  const png_file f = read_png(dir / "a.png");
  // The cell is as wide as "cat" (17 pixels); the image is centred in it.
  REQUIRE(f.width == 2 * 12 + 17);
  const int x0 = 12 + (17 - 3) / 2, y0 = 12;
  CHECK(f.at(x0, y0) == Rgb{255, 0, 0});
  CHECK(f.at(x0 + 1, y0) == Rgb{0, 51, 0});
  CHECK(f.at(x0 + 2, y0 + 1) == Rgb{0, 0, 255});
  CHECK(f.at(x0 + 1, y0 + 1) == colors::black);
  CHECK(read_text(dir / "a.png") == read_text(dir / "b.png"));
  CHECK(read_text(dir / "a.png") == read_text(dir / "c.png"));
}

TEST_CASE("prediction_grid captions right predictions in green and wrong ones in red", "[plot]") {
  using image = Tensor<Shape<8, 8, 1>, float>;
  const std::vector<image> images(2);
  const std::vector<std::uint32_t> predicted = {0, 1}, actual = {0, 2};
  const std::vector<std::string> names = {"Bag", "Coat", "Dress"};
  temp_dir dir;
  prediction_grid(images, predicted, actual, names, dir / "p.png");
  const png_file f = read_png(dir / "p.png");

  // "pred: Coat" / "true: Dress": 11 characters, 65 pixels, set the cell width.
  const int cell_w = 65, img = 8 * 3;
  REQUIRE(f.width == 2 * 12 + 2 * cell_w + 12);
  REQUIRE(f.height == 2 * 12 + img + 5 + 9 + 11);
  const auto caption = [&](int i, Rgb c) {
    const int x = 12 + i * (cell_w + 12);
    return f.count(c, x, 12 + img, x + cell_w, f.height);
  };
  CHECK(caption(0, colors::green) > 20);
  CHECK(caption(0, colors::red) == 0);
  CHECK(caption(1, colors::red) > 20);
  CHECK(caption(1, colors::green) == 0);
  CHECK(f.count(colors::ink) == 0);
}

TEST_CASE("The grids reject what they cannot draw, and write nothing", "[plot]") {
  using image = Tensor<Shape<4, 4, 1>, float>;
  const std::vector<image> images(3);
  const std::vector<std::string> names = {"a", "b"};
  temp_dir dir;
  const fs::path path = dir / "g.png";
  CHECK_THROWS_WITH(image_grid(images, std::vector<std::uint32_t>{0, 1, 2}, names, path),
                    Catch::Contains("label 2 is not a class index"));
  CHECK_THROWS_WITH(image_grid(images, std::vector<std::uint32_t>{0}, names, path),
                    Catch::Contains("3 images but got 1 labels"));
  CHECK_THROWS_WITH(image_grid(std::vector<image>{}, std::vector<std::uint32_t>{}, names, path),
                    Catch::Contains("no images"));
  grid_options o;
  o.scale = 0;
  CHECK_THROWS_AS(image_grid(images, std::vector<std::uint32_t>{0, 1, 1}, names, path, o), std::invalid_argument);
  CHECK_THROWS_WITH(prediction_grid(images, std::vector<std::uint32_t>{0, 1, 5}, std::vector<std::uint32_t>{0, 1, 1},
                                    names, path),
                    Catch::Contains("prediction 5"));
  CHECK(dir.listing().empty());
  // Without class names the caption is the index.
  image_grid(images, std::vector<std::uint32_t>{7, 8, 9}, {}, path);
  CHECK(fs::exists(path));
}

// --- history ----------------------------------------------------------------

TEST_CASE("history_csv writes one row per epoch, in Keras' column order", "[plot]") {
  History h;
  for (int e = 0; e < 2; ++e) {
    Logs logs;
    logs.set("loss", e == 0 ? 0.5 : 0.25);
    logs.set("accuracy", e == 0 ? 0.75 : 0.875);
    logs.set("val_loss", e == 0 ? 0.625 : 0.1);
    logs.set("val_accuracy", e == 0 ? 0.5 : 1.0);
    h.record(e, logs);
  }
  temp_dir dir;
  history_csv(h, dir / "h.csv");
  CHECK(read_text(dir / "h.csv") ==
        "epoch,loss,accuracy,val_loss,val_accuracy\n"
        "1,0.5,0.75,0.625,0.5\n"
        "2,0.25,0.875,0.1,1\n");
  CHECK(dir.listing() == std::set<std::string>{"h.csv"});

  History more;
  for (const char* k : {"val_mae", "loss", "val_loss", "mae", "accuracy", "val_accuracy", "lr", "val_only"})
    more.history[k] = {1.0};
  CHECK(history_columns(more) ==
        std::vector<std::string>{"loss", "accuracy", "lr", "mae", "val_loss", "val_accuracy", "val_mae", "val_only"});

  History ragged;  // a value missing for an epoch is an empty cell
  ragged.epoch = {0, 1, 2};
  ragged.history["loss"] = {3, 2, 1};
  ragged.history["val_loss"] = {std::numeric_limits<double>::quiet_NaN()};
  history_csv(ragged, dir / "h.csv");
  CHECK(read_text(dir / "h.csv") == "epoch,loss,val_loss\n1,3,nan\n2,2,\n3,1,\n");
}

TEST_CASE("history_chart draws loss and accuracy panels with both curves", "[plot]") {
  temp_dir dir;
  history_chart(sample_history(6), dir / "chart.png");
  const png_file f = read_png(dir / "chart.png");
  REQUIRE(f.width == 900);
  REQUIRE(f.height == 400);
  // Below the titles and legends (y >= 60) only the curves have these colours.
  for (const int panel : {0, 1}) {
    INFO("panel " << panel);
    CHECK(f.count(colors::blue, panel * 450, 60, panel * 450 + 450, 400) > 100);
    CHECK(f.count(colors::orange, panel * 450, 60, panel * 450 + 450, 400) > 100);
  }
  // The legends show both colours too.
  CHECK(f.count(colors::blue, 0, 0, 900, 60) > 10);
  CHECK(f.count(colors::orange, 0, 0, 900, 60) > 10);
  CHECK(f.count(colors::ink) > 500);  // titles and tick labels
}

TEST_CASE("history_chart draws one panel for loss alone, and copes with NaN", "[plot]") {
  History h;
  h.epoch = {0, 1, 2, 3};
  h.history["loss"] = {1.0, std::numeric_limits<double>::quiet_NaN(), 0.5, 0.4};
  chart_options o;
  o.width = 500;
  o.height = 300;
  const Canvas c = draw_history_chart(h, o);
  CHECK(c.width() == 500);
  CHECK(c.height() == 300);
  int blue_right = 0, orange = 0;
  for (int y = 60; y < 300; ++y)
    for (int x = 0; x < 500; ++x) {
      blue_right += x > 400 && c.at(x, y) == colors::blue;
      orange += c.at(x, y) == colors::orange;
    }
  CHECK(blue_right > 10);  // the one panel spans the width
  CHECK(orange == 0);      // no validation curve

  History single;  // one epoch, one value: a marker in the middle
  single.epoch = {0};
  single.history["accuracy"] = {0.5};
  const Canvas s = draw_history_chart(single, o);
  int near_middle = 0, elsewhere = 0;
  for (int y = 60; y < 300; ++y)
    for (int x = 0; x < 500; ++x)
      (std::abs(x - (60 + 478) / 2) <= 4 ? near_middle : elsewhere) += s.at(x, y) == colors::blue;
  CHECK(near_middle > 10);
  CHECK(elsewhere == 0);

  History none;
  none.history["lr"] = {0.1};
  CHECK_THROWS_WITH(draw_history_chart(none), Catch::Contains("it has: lr"));
  o.width = 100;
  CHECK_THROWS_AS(draw_history_chart(h, o), std::invalid_argument);
}
