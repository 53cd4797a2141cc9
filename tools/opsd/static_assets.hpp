// The dashboard's files (tools/opsd/web/), compiled into the binary by
// embed_assets.cmake so opsd serves them with no files on disk and no CDN.
#pragma once

#include <cstddef>
#include <span>

namespace incursa::platform::opsd {

struct EmbeddedFile {
  const char* name;  // the file name under web/, e.g. "main.js"
  const unsigned char* data;
  std::size_t size;
};

// Defined in the generated web_assets.cpp.
std::span<const EmbeddedFile> embedded_files();

}  // namespace incursa::platform::opsd
