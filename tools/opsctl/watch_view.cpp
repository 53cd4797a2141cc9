#include "watch_view.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <set>

#include "incursa/tools/durations.hpp"
#include "incursa/tools/text_table.hpp"
#include "render.hpp"

namespace incursa::platform::opsctl {

namespace {

using platform::OperationSnapshot;
using platform::OperationStatus;
using tools::Cell;
using tools::Color;
using tools::Table;

// Long generated ids share their leading (time) digits: the tail tells them apart.
std::string short_id(const std::string& id) {
  return id.size() <= 24 ? id : "\u2026" + id.substr(id.size() - 10);
}

std::string counts_line(const WatchFrame& f, const tools::Style& style) {
  std::string out;
  const auto add = [&](OperationStatus s, bool separator) {
    const auto it = f.counts.find(s);
    const std::int64_t n = it == f.counts.end() ? 0 : it->second;
    if (separator)
      out += style.paint("  \u00b7  ", Color::Gray);
    else if (!out.empty())
      out += "  ";
    out += style.paint(std::string(platform::to_string(s)) + " " + std::to_string(n),
                       n > 0 ? tools::status_color(s) : Color::Gray);
  };
  add(OperationStatus::Running, false);
  add(OperationStatus::Pending, false);
  add(OperationStatus::Stalled, false);
  add(OperationStatus::Succeeded, true);
  add(OperationStatus::Failed, false);
  add(OperationStatus::Canceled, false);
  return out;
}

std::pair<std::size_t, std::size_t> terminal_size() {
  winsize ws{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0) {
    return {ws.ws_col, ws.ws_row};
  }
  return {120, 40};
}

}  // namespace

WatchFrame load_frame(platform::Tracker& tracker, const WatchQuery& query,
                      platform::Timestamp now) {
  WatchFrame frame;
  frame.now = now;
  frame.counts = tracker.count_by_status(query.filter);

  platform::OperationQuery active;
  active.filter = query.filter;
  active.filter.statuses = platform::StatusSet::non_terminal();
  active.order = platform::ListOrder::OldestFirst;
  active.limit = query.limit;
  const platform::OperationPage page = tracker.list(active);
  frame.more_active = page.next_page_token.has_value();

  // Parents first, each followed by its children, at any depth.
  std::set<std::string> ids;
  for (const auto& s : page.operations) ids.insert(s.id.value());
  const std::function<void(const std::string*, int)> place = [&](const std::string* parent,
                                                                 int depth) {
    for (const auto& s : page.operations) {
      const bool root = !s.parent_id || !ids.contains(s.parent_id->value());
      const bool mine = parent ? (s.parent_id && s.parent_id->value() == *parent) : root;
      if (!mine) continue;
      frame.active.push_back(s);
      frame.depth.push_back(depth);
      place(&s.id.value(), depth + 1);
    }
  };
  place(nullptr, 0);

  platform::OperationQuery finished;
  finished.filter = query.filter;
  finished.filter.statuses = platform::StatusSet::terminal();
  finished.limit = std::max<std::size_t>(query.recent * 4, 20);
  frame.recent = tracker.list(finished).operations;
  std::stable_sort(frame.recent.begin(), frame.recent.end(), [](const auto& a, const auto& b) {
    return a.completed_at.value_or(a.updated_at) > b.completed_at.value_or(b.updated_at);
  });
  if (frame.recent.size() > query.recent) frame.recent.resize(query.recent);
  return frame;
}

std::string render_screen(const WatchFrame& f, const std::string& title,
                          const std::vector<std::string>& notes, const tools::Style& style,
                          std::size_t width, std::size_t height) {
  std::vector<std::string> lines;
  const auto add_block = [&](const std::string& text) {
    std::size_t start = 0;
    while (start < text.size()) {
      const std::size_t end = text.find('\n', start);
      lines.push_back(text.substr(start, end - start));
      if (end == std::string::npos) break;
      start = end + 1;
    }
  };
  lines.push_back(style.paint(title, Color::Bold) + style.paint("   Ctrl-C to quit", Color::Gray));
  lines.push_back(counts_line(f, style));
  lines.emplace_back();

  lines.push_back(style.paint("ACTIVE", Color::Bold) + " (" + std::to_string(f.active.size()) +
                  (f.more_active ? "+" : "") + ")");
  if (f.active.empty()) {
    lines.push_back(style.paint("  nothing is running", Color::Gray));
  } else {
    Table table({{"ID"},
                 {"NAME"},
                 {"STATUS"},
                 {"PROGRESS"},
                 {"DETAIL"},
                 {"RUNNING", Table::Align::Right},
                 {"UPDATED"},
                 {"MESSAGE", Table::Align::Left, 48}});
    for (std::size_t i = 0; i < f.active.size(); ++i) {
      const OperationSnapshot& s = f.active[i];
      const std::string indent =
          f.depth[i] == 0 ? "" : std::string(2 * (f.depth[i] - 1), ' ') + "\u2514 ";
      table.add_row({short_id(s.id.value()), indent + s.name,
                     Cell(status_text(s), tools::status_color(s.status)), progress_cell(s),
                     progress_detail(s), tools::format_duration(run_time(s, f.now)),
                     tools::format_relative(s.updated_at, f.now), s.message.value_or("")});
    }
    add_block(table.render(style));
  }

  if (!f.recent.empty()) {
    lines.emplace_back();
    lines.push_back(style.paint("RECENTLY FINISHED", Color::Bold));
    Table table({{"ID"},
                 {"NAME"},
                 {"STATUS"},
                 {"TOOK", Table::Align::Right},
                 {"FINISHED"},
                 {"MESSAGE", Table::Align::Left, 60}});
    for (const OperationSnapshot& s : f.recent) {
      table.add_row({short_id(s.id.value()), s.name,
                     Cell(status_text(s), tools::status_color(s.status)),
                     tools::format_duration(run_time(s, f.now)),
                     tools::format_relative(s.completed_at.value_or(s.updated_at), f.now),
                     s.message.value_or("")});
    }
    add_block(table.render(style));
  }

  if (!notes.empty()) {
    lines.emplace_back();
    lines.push_back(style.paint("WHAT HAPPENED", Color::Bold));
    for (const std::string& note : notes) lines.push_back("  " + note);
  }

  if (lines.size() > height) lines.resize(height);
  std::string out;
  for (const std::string& line : lines) out += tools::fit_to_width(line, width) + "\x1b[K\n";
  return out;
}

std::vector<std::string> render_plain(const WatchFrame& f) {
  std::vector<std::string> lines;
  std::string counts;
  for (int i = 0; i < platform::kOperationStatusCount; ++i) {
    const auto s = static_cast<OperationStatus>(i);
    const auto it = f.counts.find(s);
    std::string word(platform::to_string(s));
    std::transform(word.begin(), word.end(), word.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    counts += (counts.empty() ? "" : " ") + word + "=" +
              std::to_string(it == f.counts.end() ? 0 : it->second);
  }
  lines.push_back(counts);
  for (const OperationSnapshot& s : f.active) {
    std::string line =
        std::string(platform::to_string(s.status)) + " " + s.name + " " + s.id.value();
    if (s.percent) line += " " + std::to_string(static_cast<int>(*s.percent)) + "%";
    const std::string detail = progress_detail(s);
    if (!detail.empty()) line += " (" + detail + ")";
    if (s.cancel_requested()) line += " cancel-requested";
    if (s.message) line += " \"" + *s.message + "\"";
    lines.push_back(line);
  }
  return lines;
}

nlohmann::ordered_json frame_json(const WatchFrame& f) {
  nlohmann::ordered_json counts = nlohmann::ordered_json::object();
  for (int i = 0; i < platform::kOperationStatusCount; ++i) {
    const auto s = static_cast<OperationStatus>(i);
    const auto it = f.counts.find(s);
    counts[std::string(platform::to_string(s))] = it == f.counts.end() ? 0 : it->second;
  }
  return {{"at", platform::format_iso8601(f.now)},
          {"counts", counts},
          {"active", snapshots_json(f.active)},
          {"recent", snapshots_json(f.recent)}};
}

FramePrinter::FramePrinter(Mode mode, tools::Style style, std::string title)
    : mode_(mode), style_(style), title_(std::move(title)) {
  if (mode_ == Mode::Screen) std::fputs("\x1b[?25l\x1b[2J", stdout);  // hide cursor, clear
}

FramePrinter::~FramePrinter() {
  if (mode_ == Mode::Screen) std::fputs("\x1b[?25h", stdout);  // the cursor comes back
  std::fflush(stdout);
}

void FramePrinter::print(const WatchFrame& frame, const std::vector<std::string>& notes) {
  std::string out;
  switch (mode_) {
    case Mode::Screen: {
      const auto [width, height] = terminal_size();
      out = "\x1b[H" + render_screen(frame, title_, notes, style_, width, height - 1) + "\x1b[J";
      break;
    }
    case Mode::Plain: {
      std::string body;
      for (const std::string& line : render_plain(frame)) body += line + "\n";
      if (drawn_ && body == last_) return;
      last_ = body;
      const std::string at = tools::format_time(frame.now) + " ";
      for (const std::string& line : render_plain(frame)) out += at + line + "\n";
      break;
    }
    case Mode::Json: {
      nlohmann::ordered_json doc = frame_json(frame);
      doc.erase("at");  // compared without the time, like plain frames
      const std::string body = doc.dump();
      if (drawn_ && body == last_) return;
      last_ = body;
      out = frame_json(frame).dump() + "\n";
      break;
    }
  }
  drawn_ = true;
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
}

}  // namespace incursa::platform::opsctl
