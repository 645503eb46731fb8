// forma::data: IDX and CIFAR-10 loaders on files crafted here, every way a
// file can be wrong, normalisation, labels, Dataset, batches; and the real
// Fashion-MNIST when Debian's package is installed.
#include <catch2/catch.hpp>

#include "temp_dir.hpp"
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <numeric>
#include <ranges>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <forma/core/random.hpp>
#include <forma/data/data.hpp>
#include <forma/forma.hpp>

using namespace forma;
using namespace forma::data;
namespace fs = std::filesystem;
using bytes = std::vector<std::uint8_t>;
using Catch::Contains;

static_assert(std::is_base_of_v<std::runtime_error, data_error>);

namespace {

using forma_test::temp_dir;

void write_file(const fs::path& p, const bytes& b) {
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  REQUIRE(out.good());
}

void write_gz(const fs::path& p, const bytes& b) {
  gzFile g = gzopen(p.c_str(), "wb");
  REQUIRE(g != nullptr);
  REQUIRE(gzwrite(g, b.data(), static_cast<unsigned>(b.size())) == static_cast<int>(b.size()));
  REQUIRE(gzclose(g) == Z_OK);
}

bytes read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return bytes(std::istreambuf_iterator<char>(in), {});
}

// An IDX file: 00 00 type rank, big-endian dims, then data.
bytes idx(std::uint8_t type, std::vector<std::uint32_t> dims, const bytes& data) {
  bytes b{0, 0, type, static_cast<std::uint8_t>(dims.size())};
  for (std::uint32_t d : dims)
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<std::uint8_t>(d >> s));
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

bytes iota_bytes(std::size_t n, std::uint8_t start = 0) {
  bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(start + i);
  return b;
}

// Pixel of a crafted image, distinct across images, positions and channels.
std::uint8_t mnist_pixel(std::size_t image, std::size_t h, std::size_t w) {
  return static_cast<std::uint8_t>((image * 37 + h * 28 + w) % 251);
}
bytes mnist_images(std::size_t n, std::size_t rows = 28, std::size_t cols = 28) {
  bytes b;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t h = 0; h < rows; ++h)
      for (std::size_t w = 0; w < cols; ++w) b.push_back(mnist_pixel(i, h, w));
  return idx(0x08, {static_cast<std::uint32_t>(n), static_cast<std::uint32_t>(rows), static_cast<std::uint32_t>(cols)},
             b);
}
bytes mnist_labels(const bytes& labels) { return idx(0x08, {static_cast<std::uint32_t>(labels.size())}, labels); }

// A CIFAR-10 channel value, distinct across records, channels and positions.
std::uint8_t cifar_pixel(std::size_t salt, std::size_t c, std::size_t h, std::size_t w) {
  return static_cast<std::uint8_t>((salt * 11 + c * 1024 + h * 32 + w) % 253);
}
// Records of label + 1024 R + 1024 G + 1024 B, each plane row-major.
bytes cifar_batch(const bytes& labels, std::size_t salt) {
  bytes b;
  for (std::size_t r = 0; r < labels.size(); ++r) {
    b.push_back(labels[r]);
    for (std::size_t c = 0; c < 3; ++c)
      for (std::size_t h = 0; h < 32; ++h)
        for (std::size_t w = 0; w < 32; ++w) b.push_back(cifar_pixel(salt + r, c, h, w));
  }
  return b;
}
const char* const cifar_files[] = {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
                                   "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"};
void write_cifar(const temp_dir& dir) {
  for (std::size_t f = 0; f < 6; ++f)
    write_file(dir / cifar_files[f], cifar_batch({static_cast<std::uint8_t>(f), 9, 0}, f * 3));
}

template <class D>
concept batches_of_temporary = requires(D d) { std::move(d).template batches<4>(); };

}  // namespace

TEST_CASE("load_idx reads dims and bytes, plain or gzipped, by content not name", "[data]") {
  temp_dir dir;
  const bytes data = iota_bytes(3 * 2 * 4, 7);
  // The names lie on purpose: the gzip magic decides.
  write_file(dir / "plain.gz", idx(0x08, {3, 2, 4}, data));
  write_gz(dir / "packed.idx", idx(0x08, {3, 2, 4}, data));
  for (const char* name : {"plain.gz", "packed.idx"}) {
    CAPTURE(name);
    const IdxArray a = load_idx(dir / name);
    CHECK(a.dims == std::vector<std::uint32_t>{3, 2, 4});
    CHECK(a.data == data);
  }

  // Larger than zlib's and the reader's buffers, and rank 1.
  SplitMix64 rng(3);
  bytes big(3'000'017);
  for (auto& b : big) b = static_cast<std::uint8_t>(rng.next());
  write_gz(dir / "big.gz", idx(0x08, {3'000'017}, big));
  write_file(dir / "big", idx(0x08, {3'000'017}, big));
  for (const char* name : {"big.gz", "big"}) {
    const IdxArray a = load_idx(dir / name);
    CHECK(a.dims == std::vector<std::uint32_t>{3'000'017});
    CHECK(a.data == big);
  }

  // A dimension of zero is an empty array, not an error.
  write_file(dir / "empty", idx(0x08, {0, 28, 28}, {}));
  CHECK(load_idx(dir / "empty").data.empty());
}

TEST_CASE("load_idx names the file and the problem for every bad file", "[data]") {
  temp_dir dir;
  const auto file = [&](const std::string& name) { return (dir / name).string(); };
  const bytes good = idx(0x08, {2, 3, 3}, iota_bytes(18));

  CHECK_THROWS_AS(load_idx(dir / "missing"), data_error);
  CHECK_THROWS_WITH(load_idx(dir / "missing"), Contains(file("missing")) && Contains("cannot open") &&
                                                   Contains("No such file"));
  CHECK_THROWS_WITH(load_idx(dir.path()), Contains(dir.path().string()) && Contains("directory"));

  bytes magic = good;
  magic[0] = 0x12;
  write_file(dir / "magic", magic);
  CHECK_THROWS_WITH(load_idx(dir / "magic"), Contains(file("magic")) && Contains("wrong magic number 0x12 0x00"));

  write_file(dir / "float", idx(0x0D, {2}, bytes(8)));
  CHECK_THROWS_WITH(load_idx(dir / "float"),
                    Contains(file("float")) && Contains("element type 0x0D (float)") && Contains("not supported"));
  write_file(dir / "odd_type", idx(0x05, {2}, bytes(2)));
  CHECK_THROWS_WITH(load_idx(dir / "odd_type"),
                    Contains(file("odd_type")) && Contains("unknown element type 0x05"));
  write_file(dir / "rank0", idx(0x08, {}, {}));
  CHECK_THROWS_WITH(load_idx(dir / "rank0"), Contains(file("rank0")) && Contains("no dimensions"));

  write_file(dir / "short_magic", bytes{0, 0, 8});
  CHECK_THROWS_WITH(load_idx(dir / "short_magic"), Contains(file("short_magic")) && Contains("truncated") &&
                                                       Contains("header needs 4 bytes, the file has 3"));
  write_file(dir / "one_byte", bytes{0});
  CHECK_THROWS_WITH(load_idx(dir / "one_byte"), Contains(file("one_byte")) && Contains("the file has 1"));
  write_file(dir / "short_dims", bytes(good.begin(), good.begin() + 10));  // 3 dims promised, 1.5 given
  CHECK_THROWS_WITH(load_idx(dir / "short_dims"),
                    Contains(file("short_dims")) && Contains("truncated") && Contains("3 dimensions"));
  write_file(dir / "short_data", bytes(good.begin(), good.end() - 1));
  CHECK_THROWS_WITH(load_idx(dir / "short_data"), Contains(file("short_data")) && Contains("truncated") &&
                                                      Contains("2x3x3 need 18 bytes of data, the file has 17"));
  write_gz(dir / "short_data.gz", bytes(good.begin(), good.end() - 5));
  CHECK_THROWS_WITH(load_idx(dir / "short_data.gz"),
                    Contains(file("short_data.gz")) && Contains("truncated") && Contains("the file has 13"));
  // A header that claims far more than the file holds fails without
  // allocating it.
  write_file(dir / "liar", idx(0x08, {0xFFFFFFFF, 0xFFFFFF}, bytes(10)));
  CHECK_THROWS_WITH(load_idx(dir / "liar"), Contains(file("liar")) && Contains("truncated"));
  write_gz(dir / "liar.gz", idx(0x08, {0xFFFFFFFF, 0xFFFFFF}, bytes(10)));
  CHECK_THROWS_WITH(load_idx(dir / "liar.gz"), Contains(file("liar.gz")) && Contains("truncated"));

  bytes longer = good;
  longer.push_back(0);
  write_file(dir / "long", longer);
  CHECK_THROWS_WITH(load_idx(dir / "long"), Contains(file("long")) && Contains("longer than its dimensions 2x3x3"));

  // gzip files cut short (inside the data, and just before the trailer) or
  // with a wrong checksum.
  write_gz(dir / "whole.gz", good);
  const bytes gz = read_file(dir / "whole.gz");
  write_file(dir / "cut.gz", bytes(gz.begin(), gz.begin() + static_cast<std::ptrdiff_t>(gz.size() / 2)));
  CHECK_THROWS_WITH(load_idx(dir / "cut.gz"), Contains(file("cut.gz")) && Contains("truncated"));
  write_file(dir / "no_trailer.gz", bytes(gz.begin(), gz.end() - 8));
  CHECK_THROWS_WITH(load_idx(dir / "no_trailer.gz"),
                    Contains(file("no_trailer.gz")) && Contains("truncated") && Contains("gzip stream is cut short"));
  bytes bad_crc = gz;
  bad_crc[bad_crc.size() - 8] ^= 0xFF;
  write_file(dir / "bad_crc.gz", bad_crc);
  CHECK_THROWS_WITH(load_idx(dir / "bad_crc.gz"),
                    Contains(file("bad_crc.gz")) && Contains("corrupt gzip data") && Contains("incorrect data check"));
}

TEST_CASE("load_fashion_mnist and load_mnist read the four IDX files of a directory", "[data]") {
  temp_dir dir;
  const bytes train_labels{9, 0, 3, 7, 2};
  const bytes test_labels{1, 8};
  // Some gzipped with .gz names, some plain without: both are found.
  write_gz(dir / "train-images-idx3-ubyte.gz", mnist_images(5));
  write_file(dir / "train-labels-idx1-ubyte", mnist_labels(train_labels));
  write_file(dir / "t10k-images-idx3-ubyte", mnist_images(2));
  write_gz(dir / "t10k-labels-idx1-ubyte.gz", mnist_labels(test_labels));

  const auto [train, test, class_names] = load_fashion_mnist(dir.path());
  static_assert(std::is_same_v<decltype(train), const ImageSet<Shape<28, 28, 1>>>);
  REQUIRE(train.size() == 5);
  REQUIRE(test.size() == 2);
  CHECK(std::ranges::equal(train.labels(), train_labels));
  CHECK(std::ranges::equal(test.labels(), test_labels));
  for (std::size_t i = 0; i < 5; ++i)
    for (std::size_t h = 0; h < 28; ++h)
      for (std::size_t w = 0; w < 28; ++w) REQUIRE(train.pixel(i, h, w, 0) == mnist_pixel(i, h, w));
  CHECK(test.image(1)[28 * 5 + 6] == mnist_pixel(1, 5, 6));
  CHECK(class_names == std::vector<std::string>{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
                                                "Shirt", "Sneaker", "Bag", "Ankle boot"});

  const MnistSplits digits = load_mnist(dir.path());
  CHECK(digits.train.size() == 5);
  CHECK(digits.class_names.front() == "0");
  CHECK(digits.class_names.back() == "9");
}

TEST_CASE("MNIST-family loaders reject inconsistent image and label files", "[data]") {
  temp_dir dir;
  const auto images = dir / "train-images-idx3-ubyte";
  const auto labels = dir / "train-labels-idx1-ubyte";
  write_file(dir / "t10k-images-idx3-ubyte", mnist_images(2));
  write_file(dir / "t10k-labels-idx1-ubyte", mnist_labels({1, 2}));

  write_file(images, mnist_images(3));
  write_file(labels, mnist_labels({1, 2}));
  CHECK_THROWS_WITH(load_fashion_mnist(dir.path()), Contains(images.string()) && Contains(labels.string()) &&
                                                        Contains("has 3 images") && Contains("has 2 labels"));

  write_file(labels, mnist_labels({4, 10, 2}));
  CHECK_THROWS_WITH(load_fashion_mnist(dir.path()), Contains(labels.string()) && Contains("label 10 at index 1") &&
                                                        Contains("out of range") && Contains("10 classes"));

  write_file(images, mnist_images(3, 32, 32));
  write_file(labels, mnist_labels({4, 1, 2}));
  CHECK_THROWS_WITH(load_fashion_mnist(dir.path()), Contains(images.string()) &&
                                                        Contains("wrong image dimensions 3x32x32") &&
                                                        Contains("expected Nx28x28"));

  write_file(images, mnist_images(3));
  write_file(labels, idx(0x08, {3, 1}, {4, 1, 2}));
  CHECK_THROWS_WITH(load_fashion_mnist(dir.path()),
                    Contains(labels.string()) && Contains("wrong label dimensions 3x1"));

  fs::remove(labels);
  CHECK_THROWS_WITH(load_fashion_mnist(dir.path()),
                    Contains((dir / "train-labels-idx1-ubyte.gz").string()) && Contains("no such file"));
  CHECK_THROWS_WITH(load_mnist(dir / "nowhere"), Contains("nowhere") && Contains("no such file"));

  // Other shapes of the same family: N x H x W x C is read as is.
  write_file(dir / "rgb", idx(0x08, {2, 2, 2, 3}, iota_bytes(24)));
  write_file(dir / "rgb_labels", mnist_labels({0, 1}));
  const auto rgb = load_idx_images<Shape<2, 2, 3>>(dir / "rgb", dir / "rgb_labels", 2);
  CHECK(rgb.pixel(1, 1, 0, 2) == 12 + 6 + 2);
}

TEST_CASE("load_cifar10 turns channel planes into height-width-channel", "[data]") {
  temp_dir dir;
  write_cifar(dir);
  const Cifar10Splits c = load_cifar10(dir.path());
  REQUIRE(c.train.size() == 15);
  REQUIRE(c.test.size() == 3);
  for (std::size_t i = 0; i < 15; ++i) {
    const std::size_t batch = i / 3, r = i % 3;
    CHECK(c.train.label(i) == (r == 0 ? batch : r == 1 ? 9 : 0));
    for (std::size_t h = 0; h < 32; ++h)
      for (std::size_t w = 0; w < 32; ++w)
        for (std::size_t ch = 0; ch < 3; ++ch) REQUIRE(c.train.pixel(i, h, w, ch) == cifar_pixel(i, ch, h, w));
  }
  CHECK(c.test.label(0) == 5);
  CHECK(c.test.pixel(2, 31, 30, 1) == cifar_pixel(15 + 2, 1, 31, 30));
  CHECK(c.test.image(1)[(4 * 32 + 7) * 3 + 2] == cifar_pixel(15 + 1, 2, 4, 7));
  CHECK(c.class_names == std::vector<std::string>{"airplane", "automobile", "bird", "cat", "deer", "dog", "frog",
                                                  "horse", "ship", "truck"});

  // batches.meta.txt, blank lines and CRLF included, gives the names.
  std::ofstream(dir / "batches.meta.txt") << "a\r\nb\nc\nd\ne\nf\ng\nh\ni\nj\n\n\n";
  CHECK(load_cifar10(dir.path()).class_names.back() == "j");
  // A gzipped batch reads the same.
  write_gz(dir / "test_batch.bin", cifar_batch({5, 9, 0}, 15));
  CHECK(load_cifar10(dir.path()).test.pixel(2, 31, 30, 1) == cifar_pixel(15 + 2, 1, 31, 30));
}

TEST_CASE("load_cifar10 names the missing or malformed file", "[data]") {
  temp_dir dir;
  write_cifar(dir);
  const auto file = [&](const std::string& name) { return (dir / name).string(); };

  fs::remove(dir / "data_batch_3.bin");
  CHECK_THROWS_AS(load_cifar10(dir.path()), data_error);
  CHECK_THROWS_WITH(load_cifar10(dir.path()), Contains(file("data_batch_3.bin")) && Contains("no such file"));
  write_cifar(dir);

  bytes b = cifar_batch({1, 2}, 0);
  b.resize(b.size() - 1);
  write_file(dir / "data_batch_4.bin", b);
  CHECK_THROWS_WITH(load_cifar10(dir.path()), Contains(file("data_batch_4.bin")) && Contains("6145 bytes") &&
                                                  Contains("not a multiple of the 3073"));
  write_file(dir / "data_batch_4.bin", {});
  CHECK_THROWS_WITH(load_cifar10(dir.path()), Contains(file("data_batch_4.bin")) && Contains("empty"));
  write_cifar(dir);

  write_file(dir / "test_batch.bin", cifar_batch({3, 4, 12}, 0));
  CHECK_THROWS_WITH(load_cifar10(dir.path()), Contains(file("test_batch.bin")) && Contains("label 12 at index 2") &&
                                                  Contains("out of range"));
  write_cifar(dir);

  std::ofstream(dir / "batches.meta.txt") << "a\nb\nc\n";
  CHECK_THROWS_WITH(load_cifar10(dir.path()), Contains(file("batches.meta.txt")) && Contains("lists 3 class names"));
}

TEST_CASE("normalize maps bytes to [0, 1] as x / 255", "[data]") {
  bytes px(2 * 2 * 2 * 3);
  px[0] = 0;
  px[1] = 255;
  px[2] = 51;
  px[12 + 11] = 128;
  const ImageSet<Shape<2, 2, 3>> set(px, {0, 1});
  const auto x = normalize(set);
  static_assert(std::is_same_v<decltype(x), const std::vector<Tensor<Shape<2, 2, 3>, float>>>);
  REQUIRE(x.size() == 2);
  CHECK(x[0](0, 0, 0) == 0.0f);
  CHECK(x[0](0, 0, 1) == 1.0f);
  CHECK(x[0](0, 0, 2) == 0.2f);
  CHECK(x[1](1, 1, 2) == 128.0f / 255.0f);
  const auto xd = normalize<double>(set);
  CHECK(xd[0][2] == 0.2);
  for (std::size_t i = 0; i < 256; ++i) {
    const ImageSet<Shape<1, 1, 1>> one({static_cast<std::uint8_t>(i)}, {0});
    REQUIRE(normalize(one)[0][0] == static_cast<float>(i) / 255.0f);
  }
  CHECK_THROWS_WITH((ImageSet<Shape<2, 2, 3>>(px, {0})), Contains("24 pixel bytes are not 1 images of 12 bytes"));
}

TEST_CASE("to_categorical and class_indices encode labels and reject a class out of range", "[data]") {
  const bytes labels{2, 0, 4};
  const auto y = to_categorical<5>(labels);
  REQUIRE(y.size() == 3);
  CHECK(y[0] == Tensor<Shape<5>>{0, 0, 1, 0, 0});
  CHECK(y[1] == Tensor<Shape<5>>{1, 0, 0, 0, 0});
  CHECK(y[2] == Tensor<Shape<5>>{0, 0, 0, 0, 1});
  CHECK(to_categorical<5, double>(labels)[2][4] == 1.0);
  CHECK(class_indices<5>(labels) == std::vector<std::uint32_t>{2, 0, 4});
  CHECK(class_indices<3>(std::vector<int>{2, 1}) == std::vector<std::uint32_t>{2, 1});

  CHECK_THROWS_AS(to_categorical<4>(labels), data_error);
  CHECK_THROWS_WITH(to_categorical<4>(labels), Contains("to_categorical") && Contains("label 4 at index 2") &&
                                                   Contains("not a class below 4"));
  CHECK_THROWS_WITH(class_indices<4>(std::vector<int>{1, -3}), Contains("label -3 at index 1"));
}

TEST_CASE("Dataset shuffles as Trainer::fit does, slices and batches", "[data]") {
  using X = Tensor<Shape<2, 3>>;
  constexpr std::size_t n = 23;
  std::vector<X> xs(n);
  std::vector<std::uint32_t> ys(n);
  for (std::size_t i = 0; i < n; ++i) {
    xs[i].fill(static_cast<float>(i));
    xs[i][5] = static_cast<float>(100 + i);
    ys[i] = static_cast<std::uint32_t>(i);
  }
  Dataset ds(xs, ys);
  static_assert(std::is_same_v<decltype(ds), Dataset<Shape<2, 3>, std::uint32_t, float>>);
  // What Trainer::fit and evaluate require of samples and labels.
  static_assert(std::ranges::contiguous_range<decltype(ds.x())>);
  static_assert(std::ranges::contiguous_range<decltype(std::as_const(ds).y())>);
  static_assert(std::is_same_v<std::ranges::range_value_t<decltype(ds.x())>, X>);
  static_assert(std::is_same_v<std::ranges::range_value_t<decltype(std::as_const(ds).y())>, std::uint32_t>);
  REQUIRE(ds.size() == n);

  // The order Trainer::fit's shuffle gives for the same seed.
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  SplitMix64 rng(42);
  for (std::size_t i = n - 1; i > 0; --i) std::swap(order[i], order[rng.next() % (i + 1)]);

  Dataset a = ds, b = ds, c = ds;
  a.shuffle(42);
  b.shuffle(42);
  c.shuffle(43);
  CHECK(std::ranges::equal(a.x(), b.x()));
  CHECK(std::ranges::equal(a.y(), b.y()));
  CHECK(!std::ranges::equal(a.y(), c.y()));
  std::vector<std::uint32_t> seen(a.y().begin(), a.y().end());
  for (std::size_t k = 0; k < n; ++k) {
    CHECK(a.y()[k] == order[k]);
    CHECK(a.x()[k] == xs[a.y()[k]]);  // each label still with its image
  }
  std::ranges::sort(seen);
  CHECK(std::ranges::equal(seen, ys));  // a permutation

  // A generator carried on from epoch to epoch, as in fit.
  SplitMix64 carried(42);
  Dataset d = ds;
  d.shuffle(carried);
  CHECK(std::ranges::equal(d.y(), a.y()));
  d.shuffle(carried);
  CHECK(!std::ranges::equal(d.y(), a.y()));

  const auto mid = ds.slice(5, 12);
  REQUIRE(mid.size() == 7);
  CHECK(mid.y().front() == 5);
  CHECK(mid.x().back() == xs[11]);
  CHECK(ds.slice(n, n).empty());
  CHECK_THROWS_WITH(ds.slice(5, 24), Contains("slice") && Contains("[5, 24)") && Contains("23 samples"));
  CHECK_THROWS_WITH(ds.slice(6, 5), Contains("[6, 5)"));

  std::vector<std::size_t> sizes;
  std::uint32_t next = 0;
  for (const auto& [bx, by] : ds.batches<5>()) {
    sizes.push_back(bx.size());
    REQUIRE(by.size() == bx.size());
    for (std::size_t k = 0; k < bx.size(); ++k, ++next) {
      CHECK(by[k] == next);
      CHECK(bx[k] == xs[next]);
    }
  }
  CHECK(sizes == std::vector<std::size_t>{5, 5, 5, 5, 3});
  const auto view = ds.batches<8>();
  CHECK(view.size() == 3);
  CHECK(view[2].size() == 7);
  CHECK(batches<23>(ds.x(), ds.y()).size() == 1);
  const auto none = ds.slice(0, 0);
  CHECK(none.batches<4>().size() == 0);
  CHECK(none.batches<4>().begin() == none.batches<4>().end());
  static_assert(std::ranges::forward_range<decltype(view)>);
  static_assert(!batches_of_temporary<decltype(ds)>);  // would dangle in a range-for

  CHECK_THROWS_WITH((Dataset(xs, std::vector<std::uint32_t>(3))), Contains("23 samples but 3 labels"));
  CHECK_THROWS_WITH(batches<4>(xs, std::vector<int>(2)), Contains("23 samples but 2 labels"));
}

TEST_CASE("Dataset from loaded images, one-hot labels", "[data]") {
  const ImageSet<Shape<1, 2, 1>> set({0, 255, 51, 0, 255, 255}, {1, 0, 2});
  Dataset ds(normalize(set), to_categorical<3>(set.labels()));
  static_assert(std::is_same_v<decltype(ds), Dataset<Shape<1, 2, 1>, Tensor<Shape<3>>>>);
  ds.shuffle(7);
  for (std::size_t k = 0; k < 3; ++k) {
    const auto cls = static_cast<std::size_t>(std::ranges::find(ds.y()[k], 1.0f) - ds.y()[k].begin());
    const std::size_t orig = cls == 1 ? 0 : cls == 0 ? 1 : 2;  // labels are distinct: find the source image
    CHECK(ds.x()[k](0, 0, 0) == static_cast<float>(set.pixel(orig, 0, 0, 0)) / 255.0f);
    CHECK(ds.x()[k](0, 1, 0) == static_cast<float>(set.pixel(orig, 0, 1, 0)) / 255.0f);
  }
}

TEST_CASE("The real Fashion-MNIST of Debian's dataset-fashion-mnist", "[data]") {
  if (!fs::exists(fashion_mnist_dir)) {
    WARN("skipped: " << fashion_mnist_dir << " is absent (Debian package dataset-fashion-mnist)");
    return;
  }
  const auto [train, test, names] = load_fashion_mnist();
  REQUIRE(train.size() == 60000);
  REQUIRE(test.size() == 10000);
  CHECK(std::ranges::all_of(train.labels(), [](std::uint8_t l) { return l < 10; }));
  CHECK(std::ranges::all_of(test.labels(), [](std::uint8_t l) { return l < 10; }));
  CHECK(train.label(0) == 9);  // the first training image is an ankle boot
  CHECK(names[train.label(0)] == "Ankle boot");
  CHECK(test.label(0) == 9);
  // Every class appears 6000 times in training, 1000 in test.
  std::vector<std::size_t> count(10);
  for (std::uint8_t l : train.labels()) ++count[l];
  CHECK(std::ranges::all_of(count, [](std::size_t k) { return k == 6000; }));
  CHECK(std::ranges::any_of(train.image(0), [](std::uint8_t p) { return p != 0; }));
}

TEST_CASE("fit and evaluate take a Dataset as it is", "[data]") {
  using forma::Dense;
  using forma::Input;
  using forma::Sequential;
  using forma::Shape;
  using forma::Tensor;
  std::vector<Tensor<Shape<2>>> x;
  std::vector<std::uint32_t> y;
  forma::SplitMix64 rng(4);
  for (int i = 0; i < 200; ++i) {
    const auto a = static_cast<float>(rng.uniform()), b = static_cast<float>(rng.uniform());
    x.push_back({a, b});
    y.push_back(a + b > 1.0f ? 1u : 0u);
  }
  forma::data::Dataset all(std::move(x), std::move(y));
  all.shuffle(9);
  const auto train = all.slice(0, 160), validation = all.slice(160, 200);
  Sequential<Input<2>, Dense<8, forma::Tanh>, Dense<2, forma::Softmax>> model;
  model.init(2);
  auto trainer = forma::compile(model, forma::loss::SparseCategoricalCrossentropy{},
                                forma::optim::Adam{.learning_rate = 0.05}, forma::metrics::Accuracy{});
  const auto history = trainer.fit<16>(train, validation, {.epochs = 20, .verbose = 0});
  REQUIRE(history["val_accuracy"].size() == 20);
  const auto [loss, accuracy] = trainer.evaluate<16>(validation);
  CHECK(accuracy == history["val_accuracy"].back());
  CHECK(accuracy > 0.9);
}

TEST_CASE("an IDX file with a zero dimension after huge ones is empty, not too large", "[data]") {
  // Found by fuzz/fuzz_idx (fuzz/regressions/fuzz_idx): the product of the
  // first dimensions overflows, but the last is zero.
  const temp_dir dir;
  const auto path = dir / "empty.idx";
  {
    std::ofstream out(path, std::ios::binary);
    const unsigned char bytes[] = {0, 0, 8, 4, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                   0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0};
    out.write(reinterpret_cast<const char*>(bytes), sizeof bytes);
  }
  const auto idx = forma::data::load_idx(path);
  CHECK(idx.dims.size() == 4);
  CHECK(idx.dims[3] == 0);
  CHECK(idx.data.empty());
}
