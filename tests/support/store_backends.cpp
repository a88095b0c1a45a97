// The engines the store's tests run on (see store_backends.h).
#include "support/store_backends.h"

namespace remix::test {

void StoreBackendTest::SetUp() {
  if (GetParam() == "sqlite") {
    location_ = dir_.file("r.db");
    return;
  }
  std::string why;
  server_ = PostgresServer::start(&why);
  if (!server_) GTEST_SKIP() << "no PostgreSQL server for this test: " << why;
  location_ = server_->fresh_database();
}

}  // namespace remix::test
