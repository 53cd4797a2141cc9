// The live view of active work shared by `watch` and `demo --watch`: what one
// frame holds, and its three renderings -- a full-screen table redrawn in place
// on a terminal, plain lines for pipes and logs, and JSON lines.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "incursa/platform/operations/tracker.hpp"
#include "incursa/tools/style.hpp"

namespace incursa::platform::opsctl {

struct WatchQuery {
  platform::OperationFilter filter{};  // statuses are ignored: the view picks them
  std::size_t limit = 50;              // active rows at most
  std::size_t recent = 8;              // finished rows at most
};

struct WatchFrame {
  platform::Timestamp now{};
  platform::StatusCounts counts{};
  // Pending, Running and Stalled, oldest first, each parent followed by its
  // children (depth gives the nesting).
  std::vector<platform::OperationSnapshot> active{};
  std::vector<int> depth{};
  bool more_active = false;  // `limit` cut the list
  // Finished ones, most recently completed first.
  std::vector<platform::OperationSnapshot> recent{};
};

WatchFrame load_frame(platform::Tracker& tracker, const WatchQuery& query, platform::Timestamp now);

// The terminal frame: `title` on top, `notes` (may be empty) at the bottom,
// every line cut to `width` columns and the frame to `height` lines.
std::string render_screen(const WatchFrame& frame, const std::string& title,
                          const std::vector<std::string>& notes, const tools::Style& style,
                          std::size_t width, std::size_t height);

// Plain lines without the time, so unchanged frames can be recognised (and not
// printed again): a counts line, then one line per active operation.
std::vector<std::string> render_plain(const WatchFrame& frame);

nlohmann::ordered_json frame_json(const WatchFrame& frame);

// Draws frames in place on a terminal (hiding the cursor meanwhile), or prints
// plain lines or JSON lines elsewhere, skipping frames that did not change.
class FramePrinter {
 public:
  enum class Mode { Screen, Plain, Json };
  FramePrinter(Mode mode, tools::Style style, std::string title);
  ~FramePrinter();
  FramePrinter(const FramePrinter&) = delete;
  FramePrinter& operator=(const FramePrinter&) = delete;

  void print(const WatchFrame& frame, const std::vector<std::string>& notes = {});

 private:
  Mode mode_;
  tools::Style style_;
  std::string title_;
  std::string last_;
  bool drawn_ = false;
};

}  // namespace incursa::platform::opsctl
