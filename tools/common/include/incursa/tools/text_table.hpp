// Aligned text tables for terminals and pipes alike.
//
// Widths count UTF-8 code points (the bars and ellipses used here are one column
// wide each), and colour is applied after padding, so escape codes never shift
// a column. Columns are two spaces apart; lines carry no trailing blanks.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "incursa/tools/style.hpp"

namespace incursa::platform::tools {

// Columns a string takes: its UTF-8 code points.
std::size_t display_width(const std::string& text) noexcept;

// Cut to at most `width` columns, ending in "…" when cut.
std::string truncate_to_width(const std::string& text, std::size_t width);

// One line cut to at most `width` visible columns. ANSI escape sequences are
// copied through without counting; a cut line ends by resetting attributes.
std::string fit_to_width(const std::string& line, std::size_t width);

struct Cell {
  std::string text;
  Color color = Color::None;

  Cell(std::string t) : text(std::move(t)) {}  // NOLINT: cells are built from strings
  Cell(const char* t) : text(t) {}             // NOLINT
  Cell(std::string t, Color c) : text(std::move(t)), color(c) {}
};

class Table {
 public:
  enum class Align { Left, Right };
  struct Column {
    std::string title;
    Align align = Align::Left;
    std::size_t max_width = 0;  // 0: no limit; longer cells are cut with "…"
  };

  explicit Table(std::vector<Column> columns) : columns_(std::move(columns)) {}

  // Missing trailing cells are blank; extra cells are an error (std::invalid_argument).
  void add_row(std::vector<Cell> cells);
  bool empty() const noexcept { return rows_.empty(); }

  // The header (bold when styled) and every row, each line ending in '\n'.
  std::string render(const Style& style) const;

  // For a table printed a page at a time: the rows (and the header when
  // `header`), with columns at least `widths` wide; `widths` grows to fit these
  // rows, so later pages line up with earlier ones unless a wider cell comes.
  std::string render_page(const Style& style, std::vector<std::size_t>& widths, bool header) const;

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<Cell>> rows_;
};

}  // namespace incursa::platform::tools
