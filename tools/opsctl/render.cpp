#include "render.hpp"

#include <cmath>
#include <cstdio>

#include "incursa/platform/operations/operation_json.hpp"
#include "incursa/tools/audit_json.hpp"
#include "incursa/tools/text_table.hpp"

namespace incursa::platform::opsctl {

namespace {

using nlohmann::ordered_json;
using tools::Cell;
using tools::Color;
using tools::Table;

std::string percent_text(double percent) {
  // Floor, so 99.6 % never reads as done.
  return std::to_string(static_cast<int>(std::floor(percent))) + "%";
}

std::string offset_text(Timestamp t, Timestamp start) {
  return "+" + tools::format_duration(t - start);
}

std::string or_dash(const std::optional<std::string>& text) { return text ? *text : "-"; }

std::string tags_text(const platform::Tags& tags) {
  std::string out;
  for (const auto& [key, value] : tags) out += (out.empty() ? "" : ", ") + key + "=" + value;
  return out.empty() ? "-" : out;
}

std::string child_detail(const OperationSnapshot& c) {
  std::string out = c.id.value() + " " + std::string(platform::to_string(c.status));
  if (c.percent) out += " " + percent_text(*c.percent);
  return out;
}

}  // namespace

ordered_json snapshot_json(const OperationSnapshot& s) {
  return ordered_json::parse(platform::to_json(s));
}

ordered_json event_json(const OperationEvent& e) {
  return ordered_json::parse(platform::to_json(e));
}

ordered_json snapshots_json(const std::vector<OperationSnapshot>& snapshots) {
  ordered_json out = ordered_json::array();
  for (const auto& s : snapshots) out.push_back(snapshot_json(s));
  return out;
}

ordered_json timeline_json(const platform::Timeline& timeline) {
  using Source = platform::TimelineEntry::Source;
  ordered_json entries = ordered_json::array();
  for (const auto& e : timeline.entries) {
    ordered_json entry = {{"at", platform::format_iso8601(e.at)}};
    if (e.source == Source::Event && e.event) {
      entry["source"] = "event";
      entry["event"] = event_json(*e.event);
    } else if (e.source == Source::ChildStarted && e.child) {
      entry["source"] = "child_started";
      entry["child"] = snapshot_json(*e.child);
    } else if (e.audit) {
      entry["source"] = "audit";
      entry["audit_event"] = tools::audit_event_to_json(*e.audit);
    }
    entries.push_back(std::move(entry));
  }
  return {{"operation", snapshot_json(timeline.operation)},
          {"entries", std::move(entries)},
          {"related", snapshots_json(timeline.related)},
          {"truncated", ordered_json::parse(platform::to_json(timeline.truncated))}};
}

std::string status_text(const OperationSnapshot& s) {
  std::string out(platform::to_string(s.status));
  if (s.cancel_requested() && !s.terminal()) out += ", cancel requested";
  return out;
}

std::string progress_cell(const OperationSnapshot& s) {
  if (!s.percent) return "";
  std::string pct = percent_text(*s.percent);
  while (pct.size() < 4) pct.insert(pct.begin(), ' ');
  return tools::progress_bar(s.percent, 10) + " " + pct;
}

std::string progress_detail(const OperationSnapshot& s) {
  if (!s.progress) return "";
  std::string out = std::to_string(s.progress->current);
  if (s.progress->total) out += "/" + std::to_string(*s.progress->total);
  if (!s.progress->unit.empty()) out += " " + s.progress->unit;
  return out;
}

tools::Duration run_time(const OperationSnapshot& s, Timestamp now) {
  return s.completed_at.value_or(now) - s.started_at;
}

std::string time_and_age(Timestamp t, Timestamp now) {
  return tools::format_time(t) + " (" + tools::format_relative(t, now) + ")";
}

std::string render_operations(const std::vector<OperationSnapshot>& ops, Timestamp now,
                              const tools::Style& style) {
  std::vector<std::size_t> widths;
  return render_operations_page(ops, now, style, widths, true);
}

std::string render_operations_page(const std::vector<OperationSnapshot>& ops, Timestamp now,
                                   const tools::Style& style, std::vector<std::size_t>& widths,
                                   bool header) {
  Table table({{"ID"},
               {"NAME"},
               {"STATUS"},
               {"PROGRESS"},
               {"STARTED"},
               {"DURATION", Table::Align::Right},
               {"UPDATED"}});
  for (const OperationSnapshot& s : ops) {
    table.add_row({s.id.value(), s.name, Cell(status_text(s), tools::status_color(s.status)),
                   progress_cell(s), tools::format_relative(s.started_at, now),
                   tools::format_duration(run_time(s, now)),
                   tools::format_relative(s.updated_at, now)});
  }
  return table.render_page(style, widths, header);
}

std::string render_show(const OperationSnapshot& s, Timestamp now, const tools::Style& style) {
  std::string out;
  const auto line = [&](const char* label, const std::string& value, Color color = Color::None) {
    std::string padded = label;
    padded.resize(15, ' ');
    out += style.paint(padded, Color::Bold) + style.paint(value, color) + "\n";
  };
  line("ID", s.id.value());
  line("Name", s.name);
  line("Status", status_text(s), tools::status_color(s.status));
  std::string progress = progress_cell(s);
  const std::string detail = progress_detail(s);
  if (!detail.empty()) progress += (progress.empty() ? "" : "  ") + detail;
  line("Progress", progress.empty() ? "-" : progress);
  line("Message", or_dash(s.message));
  line("Started", time_and_age(s.started_at, now));
  line("Updated", time_and_age(s.updated_at, now));
  line("Last progress", time_and_age(s.last_progress_at, now));
  line("Completed", s.completed_at ? time_and_age(*s.completed_at, now) : "-");
  line("Duration", tools::format_duration(run_time(s, now)) + (s.terminal() ? "" : " so far"));
  line("Parent", s.parent_id ? s.parent_id->value() : "-");
  if (s.correlation) {
    std::string c = s.correlation->correlation_id.value();
    if (s.correlation->causation_id)
      c += " (caused by " + s.correlation->causation_id->value() + ")";
    if (s.correlation->trace_id) c += " trace " + *s.correlation->trace_id;
    line("Correlation", c);
  } else {
    line("Correlation", "-");
  }
  line("Tags", tags_text(s.tags));
  if (s.cancel_requested_at) {
    line("Cancel", "requested " + time_and_age(*s.cancel_requested_at, now) +
                       (s.cancel_reason ? ": " + *s.cancel_reason : ""));
  } else {
    line("Cancel", "-");
  }
  line("Stalls", std::to_string(s.stall_count));
  line("Version", std::to_string(s.version));
  return out;
}

std::string purged_text(const platform::PurgedOperation& p) {
  std::vector<std::string> known;
  if (!p.name.empty()) known.push_back(p.name);
  if (p.status) known.emplace_back(to_string(*p.status));
  if (p.completed_at) known.push_back("completed " + tools::format_time(*p.completed_at));
  std::string text = "was purged at " + tools::format_time(p.purged_at);
  for (std::size_t i = 0; i < known.size(); ++i) text += (i == 0 ? " (" : ", ") + known[i];
  return known.empty() ? text : text + ")";
}

std::string render_events(Timestamp started_at, const std::vector<OperationEvent>& events,
                          const tools::Style& style) {
  Table table({{"SEQ", Table::Align::Right},
               {"TIME"},
               {"OFFSET", Table::Align::Right},
               {"KIND"},
               {"MESSAGE", Table::Align::Left, 60},
               {"DATA", Table::Align::Left, 60}});
  for (const OperationEvent& e : events) {
    table.add_row({std::to_string(e.sequence), tools::format_time(e.occurred_at),
                   offset_text(e.occurred_at, started_at), Cell(e.kind, Color::Cyan),
                   e.message.value_or(""), e.data_json.value_or("")});
  }
  return table.render(style);
}

std::string render_timeline(const platform::Timeline& timeline, Timestamp now,
                            const tools::Style& style) {
  using Source = platform::TimelineEntry::Source;
  const OperationSnapshot& op = timeline.operation;
  std::string out = style.paint(op.name, Color::Bold) + "  " + op.id.value() + "\n";
  out += style.paint(status_text(op), tools::status_color(op.status)) + ", started " +
         time_and_age(op.started_at, now) + ", " + (op.terminal() ? "took " : "running for ") +
         tools::format_duration(run_time(op, now)) + "\n\n";
  Table table({{"TIME"},
               {"OFFSET", Table::Align::Right},
               {"SOURCE"},
               {"WHAT"},
               {"DETAIL", Table::Align::Left, 90}});
  for (const auto& e : timeline.entries) {
    const std::string time = tools::format_time(e.at);
    const std::string offset = offset_text(e.at, op.started_at);
    if (e.source == Source::Event && e.event) {
      table.add_row({time, offset, Cell("event", Color::Gray), Cell(e.event->kind, Color::Cyan),
                     e.event->message.value_or("")});
    } else if (e.source == Source::ChildStarted && e.child) {
      table.add_row({time, offset, Cell("child", Color::Gray), Cell(e.child->name, Color::Blue),
                     Cell(child_detail(*e.child), tools::status_color(e.child->status))});
    } else if (e.audit) {
      table.add_row({time, offset, Cell("audit", Color::Gray), Cell(e.audit->name, Color::Magenta),
                     e.audit->display_message + " [" +
                         std::string(platform::to_string(e.audit->outcome)) + "]"});
    }
  }
  out += table.render(style);
  const platform::TimelineTruncation& left_out = timeline.truncated;
  const std::string id = op.id.value();
  if (left_out.events_after) {
    out += "\nmore events after #" + std::to_string(*left_out.events_after) + ": opsctl events " +
           id + " --after " + std::to_string(*left_out.events_after) + "\n";
  }
  if (left_out.children_page_token) {
    out += "\nmore children than shown: opsctl children " + id + "\n";
  }
  if (left_out.audit_before) {
    out += "\nolder audit events left out (before " +
           tools::format_time(left_out.audit_before->occurred_at) + ")\n";
  }
  if (!timeline.related.empty()) {
    out += "\nrelated (same correlation id, not in this timeline):\n" +
           render_operations(timeline.related, now, style);
    if (left_out.related) {
      out += "more related: opsctl list --correlation " + op.correlation->correlation_id.value() +
             "\n";
    }
  }
  return out;
}

}  // namespace incursa::platform::opsctl
