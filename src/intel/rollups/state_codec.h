#pragma once
// The bytes intel asks an engine to keep beside the cubes: a session's fold and a sample's facts
// as counted. The format belongs to intel, so every engine stores the same opaque value.

#include <optional>
#include <string>
#include <string_view>

#include "intel/rollups/sample_facts.h"
#include "intel/session_fold.h"

namespace mitsu::intel {

std::string encode_state(const SessionFold& fold);
std::string encode_state(const SampleFacts& facts);
// nullopt: not a value encode_state wrote (of this version).
std::optional<SessionFold> decode_session_state(std::string_view bytes);
std::optional<SampleFacts> decode_sample_state(std::string_view bytes);

}  // namespace mitsu::intel
