#include "incursa/tools/style.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace incursa::platform::tools {

bool is_terminal(int fd) noexcept { return ::isatty(fd) == 1; }

Style Style::for_fd(int fd) {
  const char* no_color = std::getenv("NO_COLOR");
  return Style(is_terminal(fd) && (no_color == nullptr || *no_color == '\0'));
}

std::string Style::paint(std::string_view text, Color color) const {
  if (!color_ || color == Color::None || text.empty()) return std::string(text);
  const char* code = "";
  switch (color) {
    case Color::Red:
      code = "31";
      break;
    case Color::Green:
      code = "32";
      break;
    case Color::Yellow:
      code = "33";
      break;
    case Color::Blue:
      code = "34";
      break;
    case Color::Magenta:
      code = "35";
      break;
    case Color::Cyan:
      code = "36";
      break;
    case Color::Gray:
      code = "90";
      break;
    case Color::Bold:
      code = "1";
      break;
    case Color::None:
      break;
  }
  return "\x1b[" + std::string(code) + "m" + std::string(text) + "\x1b[0m";
}

Color status_color(platform::OperationStatus status) noexcept {
  using S = platform::OperationStatus;
  switch (status) {
    case S::Succeeded:
      return Color::Green;
    case S::Failed:
      return Color::Red;
    case S::Canceled:
      return Color::Magenta;
    case S::Stalled:
      return Color::Yellow;
    case S::Running:
      return Color::Cyan;
    case S::Pending:
      return Color::Gray;
  }
  return Color::None;
}

std::string progress_bar(std::optional<double> percent, int width) {
  const double p = std::clamp(percent.value_or(0.0), 0.0, 100.0);
  const int full = static_cast<int>(std::floor(p / 100.0 * width));
  std::string bar;
  for (int i = 0; i < width; ++i) bar += i < full ? "\u2588" : "\u2591";
  return bar;
}

}  // namespace incursa::platform::tools
