#pragma once
// write_png: saves a Canvas as an 8-bit RGB PNG through libpng (link -lpng).
// libpng 1.6's simplified png_image API catches libpng's own errors
// internally, so no setjmp/longjmp crosses C++ frames here.
#include <cerrno>
#include <filesystem>
#include <string>

#include <png.h>

#include "forma/plot/atomic_file.hpp"
#include "forma/plot/canvas.hpp"

namespace forma::plot {

// Replaces `path` atomically (see write_atomically); throws write_error naming
// `path` on failure.
inline void write_png(const Canvas& canvas, const std::filesystem::path& path) {
  write_atomically(path, [&canvas](std::FILE* file, std::string& why) {
    png_image image{};
    image.version = PNG_IMAGE_VERSION;
    image.width = static_cast<png_uint_32>(canvas.width());
    image.height = static_cast<png_uint_32>(canvas.height());
    image.format = PNG_FORMAT_RGB;
    errno = 0;
    const bool ok = png_image_write_to_stdio(&image, file, 0, canvas.pixels().data(), 0, nullptr) != 0;
    // libpng says only "Write Error"; errno says why (a full disk, say).
    if (!ok) why = std::string("libpng: ") + image.message + (errno ? " (" + detail::errno_text(errno) + ")" : "");
    png_image_free(&image);
    return ok;
  });
}

}  // namespace forma::plot
