// Terminal styling: colour only where it helps and only where it is wanted
// (a terminal, and no NO_COLOR in the environment, https://no-color.org).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "incursa/platform/operations/operation_status.hpp"

namespace incursa::platform::tools {

enum class Color { None, Red, Green, Yellow, Blue, Magenta, Cyan, Gray, Bold };

class Style {
 public:
  explicit Style(bool color) : color_(color) {}

  // Colour when `fd` is a terminal and NO_COLOR is unset or empty.
  static Style for_fd(int fd);

  bool color() const noexcept { return color_; }
  // `text` wrapped in the colour's escape codes, or unchanged when colour is off.
  std::string paint(std::string_view text, Color color) const;

 private:
  bool color_;
};

// Red for Failed, yellow for Stalled and Canceled, green for Succeeded, cyan for Running.
Color status_color(platform::OperationStatus status) noexcept;

// "██████░░░░" for 60 % at width 10; all light for an unknown percent.
std::string progress_bar(std::optional<double> percent, int width);

// True when `fd` is a terminal.
bool is_terminal(int fd) noexcept;

}  // namespace incursa::platform::tools
