#include "intel/rollups/rollups.h"

#include <fmt/format.h>

#include <map>
#include <set>

#include "intel/rollups/cube_deltas.h"
#include "intel/rollups/cubes.h"
#include "intel/rollups/query_planner.h"
#include "intel/rollups/sample_facts.h"
#include "intel/rollups/state_codec.h"

namespace mitsu::intel {
namespace {

constexpr std::string_view kSessionState = "session";
constexpr std::string_view kSampleState = "sample";
constexpr std::size_t kRebuildBatch = 50'000;

bool delivers_sample(const Event& e) {
  return !e.sha256.empty() &&
         (e.action == "file.upload" || (e.action == "file.download" && e.outcome == "success"));
}

// Merges each session's batch fold with its stored one; the old contribution is taken back and
// the merged one added (they cancel where nothing counted changed).
Status count_sessions(store::RollupEngine& engine, std::map<std::string_view, SessionFold>& folds,
                      CubeDeltas& deltas, std::vector<store::RollupState>& states) {
  std::vector<std::string> keys;
  keys.reserve(folds.size());
  for (const auto& [id, fold] : folds) {
    keys.emplace_back(id);
  }
  auto stored = engine.load_states(kSessionState, keys);
  if (!stored) {
    return stored.failure();
  }
  std::size_t i = 0;
  for (auto& [id, fold] : folds) {
    const std::optional<std::string>& bytes = (*stored)[i];
    if (bytes) {
      auto before = decode_session_state(*bytes);
      if (!before) {
        return Error{fmt::format(
            "rollups: the stored state of session {} is unreadable (mitsu rollups rebuild)", id)};
      }
      deltas.add_session(*before, -1);
      fold.merge(*before);
    }
    deltas.add_session(fold, +1);
    states.push_back({std::string(kSessionState), std::move(keys[i]), encode_state(fold)});
    ++i;
  }
  return {};
}

// Moves each sample to what the catalog says of it now (first sighting, newest verdict).
Status count_samples(const RollupSources& sources, const std::set<std::string_view>& samples,
                     CubeDeltas& deltas, std::vector<store::RollupState>& states) {
  std::vector<std::string> keys(samples.begin(), samples.end());
  auto stored = sources.engine.load_states(kSampleState, keys);
  if (!stored) {
    return stored.failure();
  }
  for (std::size_t i = 0; i < keys.size(); ++i) {
    auto sample = sources.catalog.sample(keys[i]);
    if (!sample) {
      return sample.failure();
    }
    if (!*sample) {
      continue;  // not sighted: nothing to count
    }
    auto verdict = sources.catalog.verdict(keys[i]);
    if (!verdict) {
      return verdict.failure();
    }
    SampleFacts now = sample_facts((*sample)->first_seen_us, verdict->value_or(""));
    std::optional<SampleFacts> before;
    if ((*stored)[i]) {
      before = decode_sample_state(*(*stored)[i]);
      if (!before) {
        return Error{fmt::format(
            "rollups: the stored state of sample {} is unreadable (mitsu rollups rebuild)",
            keys[i])};
      }
      if (*before == now) {
        continue;
      }
      deltas.add_sample(*before, -1);
    }
    deltas.add_sample(now, +1);
    states.push_back({std::string(kSampleState), std::move(keys[i]), encode_state(now)});
  }
  return {};
}

}  // namespace

Rollups::Rollups(RollupSources sources, TargetProfile profile)
    : sources_(sources), profile_(std::move(profile)) {}

Rollups::~Rollups() {
  sources_.catalog.set_verdict_observer("rollups", {});
}

Result<std::unique_ptr<Rollups>> Rollups::open(RollupSources sources, TargetProfile profile) {
  if (Status s = sources.engine.define(cube_specs()); !s) {
    return s.failure();
  }
  std::unique_ptr<Rollups> rollups(new Rollups(sources, std::move(profile)));
  Rollups* self = rollups.get();
  sources.catalog.set_verdict_observer(
      "rollups", [self](std::string_view sha256) { return self->sample_analysed(sha256); });
  return rollups;
}

Status Rollups::count(std::span<const Event* const> events) {
  std::map<std::string_view, SessionFold> folds;
  std::set<std::string_view> samples;
  CubeDeltas deltas;
  for (const Event* e : events) {
    if (!e->session_id.empty()) {
      folds[e->session_id].add(*e, profile_);
    }
    if (e->action == "exploit") {
      deltas.add_exploit(*e, profile_);
    }
    if (delivers_sample(*e)) {
      samples.insert(e->sha256);
    }
  }
  store::RollupBatch batch;
  if (Status s = count_sessions(sources_.engine, folds, deltas, batch.states); !s) {
    return s;
  }
  if (Status s = count_samples(sources_, samples, deltas, batch.states); !s) {
    return s;
  }
  batch.deltas = deltas.take();
  if (batch.states.empty() && batch.deltas.empty()) {
    return {};
  }
  return sources_.engine.write(batch);
}

// Each change runs in the unit of work (joining the caller's, as ingest's), then under mutex_:
// always in that order, so a batch and a verdict on two threads cannot deadlock.
Status Rollups::apply(std::span<const Event* const> fresh_events) {
  if (fresh_events.empty()) {
    return {};
  }
  return sources_.unit_of_work.run([&]() -> Status {
    std::lock_guard lock(mutex_);
    return count(fresh_events);
  });
}

Status Rollups::sample_analysed(std::string_view sha256) {
  return sources_.unit_of_work.run([&]() -> Status {
    std::lock_guard lock(mutex_);
    CubeDeltas deltas;
    store::RollupBatch batch;
    if (Status s = count_samples(sources_, {sha256}, deltas, batch.states); !s) {
      return s;
    }
    batch.deltas = deltas.take();
    return batch.states.empty() ? Status{} : sources_.engine.write(batch);
  });
}

Result<store::RebuildStats> Rollups::rebuild(const RebuildProgress& progress) {
  store::RebuildStats stats;
  // Replays every stored event through the ingest path: folds merge in any order, so this
  // gives what ingest gave, however the events were batched.
  Status done = sources_.engine.rebuild([&]() -> Status {
    std::lock_guard lock(mutex_);
    return sources_.events.scan(kRebuildBatch, [&](std::span<const Event> events) -> Status {
      std::vector<const Event*> pointers;
      pointers.reserve(events.size());
      for (const Event& e : events) {
        pointers.push_back(&e);
      }
      stats.events += events.size();
      Status counted = count(pointers);
      if (counted && progress) {
        progress(stats);
      }
      return counted;
    });
  });
  if (!done) {
    return done.failure();
  }
  auto sessions = sources_.engine.count_states(kSessionState);
  auto samples = sources_.engine.count_states(kSampleState);
  if (!sessions || !samples) {
    return Error{sessions ? samples.error() : sessions.error()};
  }
  stats.sessions = *sessions;
  stats.samples = *samples;
  return stats;
}

Result<std::vector<store::RollupRow>> Rollups::query(const store::RollupQuery& query) {
  auto plan = plan_query(query);
  if (!plan) {
    return plan.failure();
  }
  return run_plan(sources_.engine, query, *plan);
}

Result<std::vector<store::RollupDumpRow>> Rollups::dump() {
  std::vector<store::RollupDumpRow> out;
  auto all = cubes();
  for (std::size_t c = 0; c < all.size(); ++c) {
    auto rows = sources_.engine.rows(c);
    if (!rows) {
      return rows.failure();
    }
    for (store::CubeRow& row : *rows) {
      out.push_back({all[c].spec.name, std::move(row.key), std::move(row.counts)});
    }
  }
  return out;
}

Status attach_rollups(store::StoreSet& stores, const store::TargetedBy& targeted) {
  if (!stores.rollup_engine || !stores.events || !stores.catalog || !stores.unit_of_work) {
    return Error{"rollups: the stores are not open"};
  }
  TargetProfile profile;
  profile.exploit_rules = targeted.exploit_rules;
  profile.credentials = targeted.credentials;
  stores.rollups.reset();
  auto rollups =
      Rollups::open({*stores.rollup_engine, *stores.events, *stores.catalog, *stores.unit_of_work},
                    std::move(profile));
  if (!rollups) {
    return rollups.failure();
  }
  stores.rollups = std::move(*rollups);
  return {};
}

}  // namespace mitsu::intel
