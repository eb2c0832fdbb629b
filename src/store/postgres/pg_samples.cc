#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "core/clock.h"
#include "store/postgres/pg_catalog.h"

// The catalog's sample knowledge: the known-hash corpus, AS names, verdicts and fingerprints.

namespace mitsu::store::postgres {
namespace {

constexpr std::size_t kImportChunk = 5000;  // hashes per statement: few round trips, bounded size
constexpr std::int64_t kNoValue = std::numeric_limits<std::int64_t>::min();

}  // namespace

Result<std::size_t> PgCatalog::import_known_hashes(std::span<const KnownHash> hashes) {
  std::size_t added = 0;
  std::int64_t now = now_unix_us();
  Status status = db_.run([&]() -> Status {
    auto insert = db_.prepare(
        "INSERT INTO known_hashes (hash, source, signature, first_seen_us, imported_us)"
        " SELECT h, s, NULLIF(g, ''), NULLIF(f, $5), $4"
        " FROM unnest($1::text[], $2::text[], $3::text[], $6::bigint[]) AS u(h, s, g, f)"
        " ON CONFLICT DO NOTHING");
    for (std::size_t start = 0; start < hashes.size(); start += kImportChunk) {
      std::span<const KnownHash> chunk =
          hashes.subspan(start, std::min(kImportChunk, hashes.size() - start));
      std::vector<std::string_view> hash, source, signature;
      std::vector<std::int64_t> first_seen;
      for (const KnownHash& h : chunk) {
        hash.push_back(h.hash);
        source.push_back(h.source);
        signature.push_back(h.signature);
        first_seen.push_back(h.first_seen_us.value_or(kNoValue));
      }
      insert->bind_array(1, hash).bind_array(2, source).bind_array(3, signature);
      insert->bind(4, now).bind(5, kNoValue).bind_array(6, first_seen);
      auto inserted = insert->affected();
      if (!inserted) {
        return inserted.failure();
      }
      added += static_cast<std::size_t>(*inserted);
    }
    return {};
  });
  if (!status) {
    return status.failure();
  }
  return added;
}

Result<std::optional<KnownHash>> PgCatalog::find_known(std::span<const std::string> hashes) {
  auto find = db_.prepare(
      "SELECT hash, source, coalesce(signature, ''), first_seen_us FROM known_hashes"
      " WHERE hash = $1");
  for (const std::string& hash : hashes) {
    if (hash.empty()) {
      continue;
    }
    std::optional<KnownHash> found;
    find->bind(1, hash);
    if (Status s = find->each_row([&](const Row& row) {
          found = KnownHash{std::string(row.column_text(0)), std::string(row.column_text(1)),
                            std::string(row.column_text(2)),
                            row.column_is_null(3) ? std::nullopt
                                                  : std::optional<std::int64_t>(row.column_int(3))};
        });
        !s) {
      return s.failure();
    }
    if (found) {
      return found;
    }
  }
  return std::optional<KnownHash>();
}

Result<std::string> PgCatalog::known_sources_summary() {
  auto q = db_.prepare("SELECT count(DISTINCT source), count(*) FROM known_hashes");
  std::string summary;
  if (Status s = q->each_row([&](const Row& row) {
        summary = fmt::format("{} imported sources ({} hashes) and Mitsu's own history",
                              row.column_int(0), row.column_int(1));
      });
      !s) {
    return s.failure();
  }
  return summary;
}

Result<std::vector<KnownSource>> PgCatalog::known_sources() {
  auto q = db_.prepare(
      "SELECT source, count(*), count(signature), max(imported_us) FROM known_hashes"
      " GROUP BY source ORDER BY source");
  std::vector<KnownSource> sources;
  if (Status s = q->each_row([&](const Row& row) {
        sources.push_back(KnownSource{std::string(row.column_text(0)), row.column_int(1),
                                      row.column_int(2), row.column_int(3)});
      });
      !s) {
    return s.failure();
  }
  return sources;
}

Result<std::map<std::uint32_t, std::string>> PgCatalog::as_names(
    std::span<const std::uint32_t> asns) {
  std::vector<std::int64_t> numbers(asns.begin(), asns.end());
  auto q = db_.prepare("SELECT asn, name FROM as_names WHERE asn = ANY($1::bigint[])");
  q->bind_array(1, numbers);
  std::map<std::uint32_t, std::string> names;
  if (Status s = q->each_row([&](const Row& row) {
        names[static_cast<std::uint32_t>(row.column_int(0))] = row.column_text(1);
      });
      !s) {
    return s.failure();
  }
  return names;
}

Result<std::optional<std::string>> PgCatalog::verdict(std::string_view sha256) {
  auto q = db_.prepare(
      "SELECT body FROM verdicts WHERE sha256 = $1 ORDER BY analyzer_version DESC LIMIT 1");
  q->bind(1, sha256);
  std::optional<std::string> body;
  if (Status s = q->each_row([&](const Row& row) { body = row.column_text(0); }); !s) {
    return s.failure();
  }
  return body;
}

Result<std::optional<KnownCheck>> PgCatalog::first_sight(std::string_view sha256) {
  auto q = db_.prepare(
      "SELECT known_at_first_sight, known_source, checked_us, checked_against FROM samples"
      " WHERE sha256 = $1 AND known_at_first_sight IS NOT NULL");
  q->bind(1, sha256);
  std::optional<KnownCheck> check;
  if (Status s = q->each_row([&](const Row& row) {
        check = KnownCheck{row.column_int(0) != 0, std::string(row.column_text(1)),
                           row.column_int(2), std::string(row.column_text(3))};
      });
      !s) {
    return s.failure();
  }
  return check;
}

Result<std::vector<Catalog::Fingerprint>> PgCatalog::fingerprints() {
  // The body is kept as the analyser wrote it (text); parsed here only for the three fields.
  auto q = db_.prepare(
      "SELECT sha256, body::jsonb #>> '{hashes,tlsh}', body::jsonb #>> '{hashes,ssdeep}',"
      " body::jsonb #>> '{family,name}' FROM verdicts v"
      " WHERE analyzer_version = (SELECT max(analyzer_version) FROM verdicts"
      " WHERE sha256 = v.sha256) ORDER BY sha256");
  std::vector<Fingerprint> out;
  if (Status s = q->each_row([&](const Row& row) {
        out.push_back({std::string(row.column_text(0)), std::string(row.column_text(1)),
                       std::string(row.column_text(2)), std::string(row.column_text(3))});
      });
      !s) {
    return s.failure();
  }
  return out;
}

}  // namespace mitsu::store::postgres
