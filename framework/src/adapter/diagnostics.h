// Routing diagnostics (docs/architecture.md §5) from a routing trace, over valid tokens, per site and averaged over
// sites, as named scalars the trainer logs to the results database (so collapse is a SQL query):
//   routing/<site>/ess_mean, ess_min   ESS of the applied weights ‖w‖₁²/‖w‖₂² (min: the worst token)
//   routing/<site>/q_ess_mean, q_ess_min   ESS of the router's full distribution q
//   routing/<site>/entropy_norm        entropy of q divided by log n (sites with n > 1)
//   routing/<site>/top1_share          share of the applied weight on the heaviest expert, token mean
//   routing/<site>/load/<i>, load_max  share of all selections that went to expert i, and the largest share
//   routing/<site>/weight/<i>          share of all applied weight (|w|) on expert i (a dense router's load is uniform)
//   routing/<site>/distinct_selections number of distinct expert sets chosen (order ignored)
//   routing/<name> for each of the above but load/<i> and weight/<i>: the mean over sites; routing/ess_worst: the minimum of
//   ess_min over sites; routing/decisions_per_sequence: sampled decisions behind log Q, mean over sequences.
// A site that appears several times in the trace (generation steps) is counted over all its tokens.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "adapter/routing_trace.h"

namespace remix::adapter {

using Metrics = std::vector<std::pair<std::string, double>>;

// Synchronises with the device (it reads values); call at log steps, not every step.
Metrics routing_diagnostics(const RoutingTrace& trace);

}  // namespace remix::adapter
