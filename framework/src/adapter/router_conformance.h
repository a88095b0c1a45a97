// The router conformance suite: the contract every router plugin must honour, checked on routers made by a
// RouterSource for one site, whatever the router does inside. It is what `remix conformance PLUGIN` runs, and
// so what the installed SDK's remix_add_router_conformance_test(TARGET) runs on an out-of-tree router; the
// in-tree tests run it on every router shipped here (tests/plugins/routers/conformance_test.cpp adds the
// weight rule each of those promises).
//
// Checked, in training and in eval mode:
//   shapes       experts [B,T,k'] int64, distinct within a token and in [0, n); weights like experts, finite;
//                probs [B,T,n], >= 0, summing to 1; log_prob [B] <= 0 with num_decisions [B] exactly when the
//                router's traits say it is trained by policy gradient (eval may sample too); aux_loss a scalar,
//                not beside a pooled_balance_coef; site_input, when given, shaped like the input
//   padding      garbage (x 1e4) at padding tokens changes nothing at valid tokens, nor log_prob or aux_loss
//   gradients    a policy-gradient router learns through log_prob only: log_prob reaches every router parameter
//                and never the input, the weights carry no gradient to the router; a learned-weight router's
//                parameters are reached through its weights (and aux loss)
//   determinism  two routers made and run under one seed agree exactly; a sampling router's draws follow the
//                seed
//   extremes     inputs of +-1e4 and a row without a valid token: finite outputs and gradients, and that row's
//                log_prob is 0
#pragma once

#include <string>
#include <vector>

#include "adapter/mixture_of_loras.h"

namespace remix::adapter {

struct ConformanceCheck {
  std::string name;                   // shapes, padding, gradients, determinism, extremes
  std::vector<std::string> failures;  // empty: passed
};

// Runs every check on routers that `router` makes for `site` (a site of `site.input_dim` features).
std::vector<ConformanceCheck> check_router_conformance(const RouterSource& router, const RouterContext& site);

// Whether routers that `router` makes for `site` give RouteOutput::token_log_prob in training (train.credit: to-go
// needs it; a sequence-granularity router has none). Probed on a small batch, so a trial can refuse the pairing
// before it obtains its base.
bool gives_token_log_prob(const RouterSource& router, const RouterContext& site);

}  // namespace remix::adapter
