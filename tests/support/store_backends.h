// The store's tests run once per engine: `StoreBackendTest` is parameterised by "sqlite" (a file in a temporary
// folder) and "postgres" (a fresh database on a throwaway server, support/postgres_server.h; the test skips,
// saying why, when no server can be started). One suite, both backends.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "store/results_store.h"
#include "store/sql_store.h"
#include "support/postgres_server.h"
#include "support/test_env.h"

namespace remix::test {

class StoreBackendTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override;
  // Where this test's store is (created by the first open with Access::Create).
  const std::string& location() const { return location_; }
  std::unique_ptr<store::ResultsStore> open(store::Access access = store::Access::Create) const {
    return store::open_store(location_, access);
  }
  // Portable SQL run directly on a store's session (for what the interface does not say: counts, old heartbeats).
  static store::QueryResult sql(store::ResultsStore& s, const std::string& query,
                                const std::vector<store::SqlValue>& params = {}) {
    return dynamic_cast<store::SqlStore&>(s).session().query(query, params);
  }
  bool postgres() const { return GetParam() == "postgres"; }

  TempDir dir_;
  std::unique_ptr<PostgresServer> server_;
  std::string location_;
};

#define REMIX_STORE_BACKENDS(suite)                                                                  \
  INSTANTIATE_TEST_SUITE_P(Backends, suite, ::testing::Values(std::string("sqlite"), std::string("postgres")), \
                           [](const auto& info) { return info.param; })

}  // namespace remix::test
