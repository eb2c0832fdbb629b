#include "collector/collector.h"

#include <future>

#include "core/clock.h"

namespace mitsu::collector {

Collector::Collector(spool::Spool& spool, store::EventStore& events, store::Catalog& catalog,
                     store::UnitOfWork& unit_of_work, CollectorOptions options)
    : spool_(spool),
      events_(events),
      catalog_(catalog),
      unit_of_work_(unit_of_work),
      options_(options) {}

Result<Collector::Parsed> Collector::read_and_parse() {
  Result<spool::Batch> batch = spool_.read(options_.batch_records);
  if (!batch) {
    return batch.failure();
  }
  Parsed parsed;
  parsed.records = std::move(batch->records);
  parsed.next = batch->next;
  parsed.events.resize(parsed.records.size());
  std::size_t valid = 0;
  for (std::size_t i = 0; i < parsed.records.size(); ++i) {
    Rejection why;
    if (parser_.parse(parsed.records[i], parsed.events[valid], why)) {
      if (enricher_ != nullptr) {
        enricher_->enrich(parsed.events[valid]);
      }
      ++valid;
    } else {
      parsed.rejected.push_back({i, std::move(why)});
    }
  }
  parsed.events.resize(valid);
  return parsed;
}

Status Collector::store_events(const Parsed& parsed) {
  if (Status status = events_.insert(parsed.events); !status) {
    return status;
  }
  std::int64_t now = now_unix_us();
  for (const Rejected& r : parsed.rejected) {
    if (Status status = events_.quarantine(parsed.records[r.record], r.why, now); !status) {
      return status;
    }
  }
  return {};
}

Result<std::size_t> Collector::record_in_catalog(const Parsed& parsed,
                                                 std::vector<const Event*>& fresh) {
  std::vector<std::string_view> ids;
  ids.reserve(parsed.events.size());
  for (const Event& event : parsed.events) {
    ids.push_back(event.id);
  }
  auto claimed = catalog_.claim_events(ids);
  if (!claimed) {
    return claimed.failure();
  }
  fresh.clear();
  fresh.reserve(parsed.events.size());
  for (std::size_t i = 0; i < parsed.events.size(); ++i) {
    if ((*claimed)[i]) {
      fresh.push_back(&parsed.events[i]);
    }
  }
  if (Status status = catalog_.apply(fresh); !status) {
    return status.failure();
  }
  if (rollups_ != nullptr) {
    if (Status status = rollups_->apply(fresh); !status) {
      return status.failure();
    }
  }
  if (observer_) {
    if (Status status = observer_(fresh); !status) {
      return status.failure();
    }
  }
  return fresh.size();
}

Status Collector::commit(Parsed& parsed) {
  if (parsed.records.empty()) {
    // The cursor may still have moved past the end of a sealed segment: let it be removed.
    return spool_.ack(parsed.next);
  }
  std::size_t fresh = 0;
  std::vector<const Event*> fresh_events;
  auto catalog_step = [&]() -> Status {
    auto counted = record_in_catalog(parsed, fresh_events);
    if (!counted) {
      return counted.failure();
    }
    fresh = *counted;
    return {};
  };
  Status committed;
  if (unit_of_work_.covers_event_store()) {
    // One engine, one transaction for steps 1 and 2: a commit saved, same outcome.
    committed = unit_of_work_.run([&]() -> Status {
      if (Status status = store_events(parsed); !status) {
        return status;
      }
      return catalog_step();
    });
  } else {
    committed = store_events(parsed);
    if (committed) {
      committed = unit_of_work_.run(catalog_step);
    }
  }
  if (!committed) {
    return committed;
  }
  if (Status status = spool_.ack(parsed.next); !status) {
    return status;
  }
  if (committed_ && !fresh_events.empty()) {
    committed_(fresh_events);
  }
  std::lock_guard lock(stats_mutex_);
  ++stats_.batches;
  stats_.read += parsed.records.size();
  stats_.stored += fresh;
  stats_.duplicates += parsed.events.size() - fresh;
  stats_.rejected += parsed.rejected.size();
  for (const Rejected& r : parsed.rejected) {
    ++stats_.rejected_by_code[static_cast<std::size_t>(r.why.code)];
  }
  return {};
}

Result<std::size_t> Collector::drain_once() {
  Result<Parsed> parsed = read_and_parse();
  if (!parsed) {
    return parsed.failure();
  }
  if (Status status = commit(*parsed); !status) {
    spool_.rewind();  // nothing was stored: read the batch again next time
    return status.failure();
  }
  return parsed->records.size();
}

Result<std::uint64_t> Collector::drain(const std::function<void(std::uint64_t)>& progress) {
  std::uint64_t total = 0;
  auto fetch = [this] { return read_and_parse(); };
  std::future<Result<Parsed>> ahead = std::async(std::launch::async, fetch);
  while (true) {
    Result<Parsed> current = ahead.get();
    if (!current) {
      return current.failure();
    }
    bool caught_up = current->records.empty();
    if (!caught_up) {
      ahead = std::async(std::launch::async, fetch);  // overlaps with the commit below
    }
    if (Status status = commit(*current); !status) {
      if (!caught_up) {
        ahead.wait();  // let the read in flight finish before moving the cursor back
      }
      spool_.rewind();
      return status.failure();
    }
    total += current->records.size();
    if (progress && !caught_up) {
      progress(total);
    }
    if (caught_up) {
      if (!spool_.has_unread()) {
        return total;
      }
      ahead = std::async(std::launch::async, fetch);
    }
  }
}

}  // namespace mitsu::collector
