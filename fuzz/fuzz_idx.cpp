// libFuzzer target: forma::data::load_idx on arbitrary bytes.
//
// Findings are crashes, sanitizer reports, exceptions other than
// forma::data::data_error, and broken properties:
//   - an IDX file accepted holds exactly what its header says (checked
//     against an independent reading of the bytes), and a well-formed one is
//     accepted;
//   - the same bytes gzipped load the same (both fail or give equal arrays);
//   - a gzip stream cut anywhere before its end is rejected.
// The two gzip checks run only for headers that claim at most 1 MiB of data:
// for larger claims the gzip path reserves 64 MiB up front (by design, see
// byte_reader::read_up_to), which would slow the fuzzer down to a crawl. The
// fuzzer's own gzip inputs still reach that path.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "forma/data/idx.hpp"
#include "fuzz_support.hpp"

namespace {

using forma::data::IdxArray;

std::optional<IdxArray> try_load(const std::filesystem::path& path) {
  try {
    return forma::data::load_idx(path);
  } catch (const forma::data::data_error&) {
    return std::nullopt;
  }
}

// The data bytes the header claims: the product of the dimensions, 0 when
// one is 0, saturated at 2^64 - 1; 0 when there is no readable header.
std::uint64_t claimed_bytes(std::span<const std::uint8_t> b) {
  if (b.size() < 4 || b[3] == 0 || b.size() < 4 + 4 * std::size_t{b[3]}) return 0;
  std::uint64_t count = 1;
  for (std::size_t i = 0; i < b[3]; ++i) {
    const std::uint8_t* p = b.data() + 4 + 4 * i;
    const std::uint64_t d = std::uint64_t{p[0]} << 24 | std::uint64_t{p[1]} << 16 | std::uint64_t{p[2]} << 8 | p[3];
    if (d == 0) return 0;
    count = d > ~std::uint64_t{0} / count ? ~std::uint64_t{0} : count * d;
  }
  return count;
}

// The IDX reading of bytes, written independently of the loader: nullopt
// when the bytes are not an IDX file of unsigned bytes.
std::optional<IdxArray> reference(std::span<const std::uint8_t> b) {
  if (b.size() < 4 || b[0] != 0 || b[1] != 0 || b[2] != 0x08 || b[3] == 0) return std::nullopt;
  const std::size_t rank = b[3];
  if (b.size() < 4 + 4 * rank) return std::nullopt;
  IdxArray a;
  for (std::size_t i = 0; i < rank; ++i) {
    const std::uint8_t* p = b.data() + 4 + 4 * i;
    a.dims.push_back(std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3]);
  }
  const std::size_t head = 4 + 4 * rank;
  if (claimed_bytes(b) != b.size() - head) return std::nullopt;
  a.data.assign(b.begin() + static_cast<std::ptrdiff_t>(head), b.end());
  return a;
}

bool same(const std::optional<IdxArray>& a, const std::optional<IdxArray>& b) {
  if (a.has_value() != b.has_value()) return false;
  return !a || (a->dims == b->dims && a->data == b->data);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const forma_fuzz::scratch_file plain_file("idx"), gz_file("idx.gz"), cut_file("idx-cut.gz");
  const std::span<const std::uint8_t> bytes(data, size);

  const std::optional<IdxArray> plain = try_load(plain_file.write(bytes));
  if (forma_fuzz::starts_gzip(bytes)) return 0;  // read as gzip: no plain reading to compare with

  if (!same(plain, reference(bytes)))
    forma_fuzz::fail(plain ? "load_idx accepted a file that is not a well-formed IDX file, or misread it"
                           : "load_idx rejected a well-formed IDX file");

  if (claimed_bytes(bytes) > (std::uint64_t{1} << 20)) return 0;
  const std::vector<std::uint8_t> gz = forma_fuzz::gzip(bytes);
  if (!same(plain, try_load(gz_file.write(gz)))) forma_fuzz::fail("the gzipped file loads differently");

  const std::span<const std::uint8_t> cut(gz.data(), forma_fuzz::pick(bytes, gz.size()));
  if (try_load(cut_file.write(cut))) forma_fuzz::fail("load_idx accepted a gzip stream cut short");
  return 0;
}
