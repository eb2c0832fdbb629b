#pragma once
// Look-ups an analyst reaches for — one sample, one session, the sensors, the quarantine, the
// known-hash corpus — as JSON documents: the one form the CLI prints from (text or --json) and
// the API will serve. Answered from the catalog and the event store through their interfaces.

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "core/result.h"
#include "store/catalog.h"
#include "store/event_store.h"

namespace mitsu::intel {

// A stored event as JSON: its validated body (a body that no longer parses is kept as text).
nlohmann::json event_json(const Event& event);

// A sample by SHA-256: what the catalog holds (size, first/last seen, sightings), its newest
// verdict (family, CPU, known, relatives, sandbox report), known-at-first-sight, every analysis
// job with why it failed, and the events that carried it (oldest first, at most `limit`, with
// "seen_in_total"). nullopt when no sample has that hash.
Result<std::optional<nlohmann::json>> sample_view(store::Catalog& catalog,
                                                  store::EventStore& events,
                                                  std::string_view sha256, std::size_t limit);

// The most recently seen samples (at most `limit`), each with its verdict in brief — family,
// CPU, file type, known or never seen, aimed at our products, sandboxed — as {"samples": [...]}.
Result<nlohmann::json> samples_view(store::Catalog& catalog, std::size_t limit);

// A session's catalog record: addresses, persona, times and counts.
nlohmann::json session_json(const store::SessionRecord& record);
// The most recently active sessions (at most `limit`), as {"sessions": [...]}.
Result<nlohmann::json> sessions_view(store::Catalog& catalog, std::size_t limit);

// A session by id: its catalog record and its events in time order (at most `limit`, with
// "events_total"). Each event is its stored JSON. nullopt when there is no such session.
Result<std::optional<nlohmann::json>> session_view(store::Catalog& catalog,
                                                   store::EventStore& events, std::string_view id,
                                                   std::size_t limit);

// Every sensor that sent events: site, first and last event, how many.
Result<nlohmann::json> sensors_view(store::Catalog& catalog);

// The newest quarantined records (at most `limit`) and how many there are in all.
Result<nlohmann::json> quarantine_view(store::EventStore& events, std::size_t limit);

// The known-hash corpus: each imported source with its size.
Result<nlohmann::json> known_sources_view(store::Catalog& catalog);

}  // namespace mitsu::intel
