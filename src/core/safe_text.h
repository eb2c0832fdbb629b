#pragma once
// Bytes from attackers and samples on their way to JSON, terminals and logs. JSON must be valid
// UTF-8 and lose nothing; a terminal must never receive a control sequence it would act on.
// Nothing here throws.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace mitsu {

bool is_valid_utf8(std::string_view bytes);

// Valid UTF-8 is kept; every byte that is not part of a valid sequence becomes the text \xNN.
std::string escape_invalid_utf8(std::string_view bytes);

// For a terminal or a log line: C0 and C1 controls, DEL, bidirectional overrides and invalid
// bytes become \n, \t, \r, \e or \xNN / \u{NNNN}; printable text (any script) is kept.
std::string terminal_safe(std::string_view bytes);

std::string base64_encode(std::string_view bytes);
// Empty optional-free form: returns false on characters outside the alphabet.
bool base64_decode(std::string_view text, std::string& out);

// Makes every string and key in `doc` valid UTF-8 (escape_invalid_utf8). When `doc` is an object,
// the exact bytes of each changed value are kept losslessly in the object at `raw_at` (created on
// demand), keyed by the JSON pointer of the value and holding base64; a changed key is recorded
// under its new pointer followed by "#key". Returns whether anything changed.
bool make_valid_utf8(nlohmann::json& doc, std::string_view raw_at = "/raw_bytes");

// JSON text that is always valid UTF-8 and never throws: invalid strings are made valid as
// make_valid_utf8 does (on a copy; the common all-valid case copies nothing). `ascii` writes
// every non-ASCII character as \uXXXX: for JSON printed on a terminal, where JSON's own escaping
// leaves C1 controls and bidirectional overrides as they are.
std::string dump_json(const nlohmann::json& doc, int indent = -1,
                      std::string_view raw_at = "/raw_bytes", bool ascii = false);

}  // namespace mitsu
