// Page tokens for list() (src/operations/page_token.*): opaque, integrity-checked, bound
// to the filter and order they were made for.
//
// Mode 1 (the input is a token): decoding either fails with ValidationError
// ("page_token") or gives a cursor that encodes to a token decoding to the same
// cursor; the same token never decodes under the other order.
// Mode 2 (the input describes a cursor and a filter): encode then decode gives
// the cursor back exactly; decoding under another filter or order is refused
// with a ValidationError; any single altered character is refused or -- never --
// silently accepted as a different cursor.
#include <cstdint>

#include "fuzz_check.hpp"
#include "incursa/platform/error.hpp"
#include "operations/page_token.hpp"

namespace {

using namespace incursa::platform;

OperationFilter fixed_filter() {
  OperationFilter f;
  f.name_prefix = "Webhook.";
  f.tags["tenant"] = "acme";
  return f;
}

ListOrder other(ListOrder o) {
  return o == ListOrder::NewestFirst ? ListOrder::OldestFirst : ListOrder::NewestFirst;
}

void decode_mode(std::string_view token) {
  const OperationFilter filter = fixed_filter();
  for (ListOrder order : {ListOrder::NewestFirst, ListOrder::OldestFirst}) {
    ListCursor cursor;
    try {
      cursor = page_token::decode(token, filter, order);
    } catch (const ValidationError& e) {
      FUZZ_CHECK(e.field() == "page_token");
      continue;
    }
    FUZZ_CHECK(!cursor.id.empty());
    const std::string again = page_token::encode(cursor, filter, order);
    const ListCursor back = page_token::decode(again, filter, order);
    FUZZ_CHECK(back.id == cursor.id && back.started_at == cursor.started_at);
    try {
      (void)page_token::decode(token, filter, other(order));
      FUZZ_CHECK(false);
    } catch (const ValidationError& e) {
      FUZZ_CHECK(e.field() == "page_token");
    }
  }
}

void encode_mode(incursa::fuzz::Reader& in) {
  ListCursor cursor;
  cursor.started_at = Timestamp(Timestamp::duration(static_cast<Timestamp::rep>(in.u64())));
  const ListOrder order = (in.byte() & 1) ? ListOrder::OldestFirst : ListOrder::NewestFirst;
  try {
    cursor.id = OperationId::parse(in.field('\n'));
  } catch (const ValidationError&) {
    return;
  }
  OperationFilter filter;
  filter.statuses = StatusSet::from_bits(in.byte());
  if (const std::string_view name = in.field('\n'); !name.empty()) filter.name = std::string(name);
  if (const std::string_view prefix = in.field('\n'); !prefix.empty()) {
    filter.name_prefix = std::string(prefix);
  }
  const std::string_view tag = in.field('\n');
  if (!tag.empty()) filter.tags[std::string(tag)] = std::string(in.field('\n'));
  if (in.byte() & 1) {
    filter.started_from = Timestamp(Timestamp::duration(static_cast<Timestamp::rep>(in.u64())));
  }

  std::string token;
  try {
    token = page_token::encode(cursor, filter, order);
  } catch (const std::exception&) {
    // Only a filter the query layer would have refused (tags that are not
    // UTF-8 make to_json throw) may fail to encode.
    return;
  }
  const ListCursor back = page_token::decode(token, filter, order);
  FUZZ_CHECK(back.id == cursor.id && back.started_at == cursor.started_at);

  try {
    (void)page_token::decode(token, filter, other(order));
    FUZZ_CHECK(false);
  } catch (const ValidationError& e) {
    FUZZ_CHECK(e.field() == "page_token");
  }
  OperationFilter changed = filter;
  changed.parent_id = OperationId::parse("other-parent");
  try {
    (void)page_token::decode(token, changed, order);
    FUZZ_CHECK(false);
  } catch (const ValidationError& e) {
    FUZZ_CHECK(e.field() == "page_token");
  }
  // Alter one character: the checksum must catch it.
  if (!token.empty()) {
    const std::size_t at = in.byte() % token.size();
    std::string altered = token;
    altered[at] = altered[at] == '0' ? '1' : '0';
    try {
      const ListCursor forged = page_token::decode(altered, filter, order);
      FUZZ_CHECK(false && forged.id.empty());
    } catch (const ValidationError& e) {
      FUZZ_CHECK(e.field() == "page_token");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = incursa::fuzz::as_text(data, size);
  decode_mode(text);
  if (!text.empty() && text.front() == '#') {
    incursa::fuzz::Reader in(text.substr(1));
    encode_mode(in);
  }
  return 0;
}
