#include "incursa/tools/text_table.hpp"

#include <algorithm>
#include <stdexcept>

namespace incursa::platform::tools {

std::size_t display_width(const std::string& text) noexcept {
  std::size_t n = 0;
  for (char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

std::string truncate_to_width(const std::string& text, std::size_t width) {
  if (display_width(text) <= width) return text;
  if (width == 0) return {};
  std::string out;
  std::size_t columns = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool starts_char = (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
    if (starts_char && ++columns == width) break;  // the last column is for the ellipsis
    out += text[i];
  }
  return out + "\u2026";
}

std::string fit_to_width(const std::string& line, std::size_t width) {
  std::string out;
  std::size_t columns = 0;
  bool cut = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '\x1b') {  // CSI: ESC [ parameters final-byte
      const std::size_t end = line.find_first_of("ABCDEFGHJKSTfmnsu", i + 1);
      const std::size_t stop = end == std::string::npos ? line.size() - 1 : end;
      out.append(line, i, stop - i + 1);
      i = stop;
      continue;
    }
    const bool starts_char = (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    if (starts_char && columns++ == width) {
      cut = true;
      break;
    }
    if (!cut) out += c;
  }
  return cut ? out + "\x1b[0m" : out;
}

void Table::add_row(std::vector<Cell> cells) {
  if (cells.size() > columns_.size()) throw std::invalid_argument("table row has too many cells");
  while (cells.size() < columns_.size()) cells.emplace_back("");
  for (std::size_t i = 0; i < cells.size(); ++i) {
    // One cell, one line: a newline in a message would break the table.
    std::string& text = cells[i].text;
    std::replace(text.begin(), text.end(), '\n', ' ');
    std::replace(text.begin(), text.end(), '\r', ' ');
    if (columns_[i].max_width > 0) text = truncate_to_width(text, columns_[i].max_width);
  }
  rows_.push_back(std::move(cells));
}

std::string Table::render(const Style& style) const {
  std::vector<std::size_t> widths;
  return render_page(style, widths, true);
}

std::string Table::render_page(const Style& style, std::vector<std::size_t>& widths,
                               bool with_header) const {
  widths.resize(columns_.size());
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    widths[i] = std::max(widths[i], display_width(columns_[i].title));
    for (const auto& row : rows_) widths[i] = std::max(widths[i], display_width(row[i].text));
  }
  std::string out;
  const auto line = [&](const std::vector<Cell>& cells, bool header) {
    std::string text;
    std::size_t pending_blanks = 0;  // written only when something follows, so no trailing blanks
    for (std::size_t i = 0; i < cells.size(); ++i) {
      const std::size_t pad = widths[i] - display_width(cells[i].text);
      const bool right = columns_[i].align == Align::Right;
      if (i > 0) pending_blanks += 2;
      if (right) pending_blanks += pad;
      if (!cells[i].text.empty()) {
        text.append(pending_blanks, ' ');
        pending_blanks = 0;
        text += style.paint(cells[i].text, header ? Color::Bold : cells[i].color);
      }
      if (!right) pending_blanks += pad;
    }
    out += text;
    out += '\n';
  };
  if (with_header) {
    std::vector<Cell> header;
    for (const auto& c : columns_) header.emplace_back(c.title);
    line(header, true);
  }
  for (const auto& row : rows_) line(row, false);
  return out;
}

}  // namespace incursa::platform::tools
