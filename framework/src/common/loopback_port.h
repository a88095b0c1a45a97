// A TCP port on the loopback interface that nothing listens on right now (the kernel picks it), for servers a
// process starts for itself: the rendezvous of local data-parallel ranks, the tests' throwaway PostgreSQL servers.
// Another process may take it before the caller binds it; callers that cannot retry should say so in their error.
#pragma once

namespace remix {

int free_loopback_port();  // std::runtime_error when no socket can be bound

}  // namespace remix
