// The router conformance checks (see router_conformance.h). Each check collects what it found wrong; an
// exception from the router is a failure of the check it happened in, never a crash of the suite.
#include "adapter/router_conformance.h"

#include <fmt/format.h>

#include <functional>

#include "adapter/routing_site.h"

namespace remix::adapter {

namespace {

constexpr std::int64_t B = 3, T = 7, kPrompt = 4;

// Row 2 ends in three padding tokens; the first kPrompt tokens of each row are prompt.
torch::Tensor valid_mask() {
  auto m = torch::ones({B, T}, torch::kBool);
  m[2].narrow(0, 4, 3).fill_(false);
  return m;
}

torch::Tensor prompt_mask(const torch::Tensor& valid) {
  auto p = torch::zeros({B, T}, torch::kBool);
  p.narrow(1, 0, kPrompt).fill_(true);
  return p.logical_and(valid);
}

RouteInput input(torch::Tensor x, bool training, torch::Tensor valid = valid_mask()) {
  RouteInput in;
  in.prompt_mask = prompt_mask(valid);
  in.mask = std::move(valid);
  in.x = std::move(x);
  in.training = training;
  return in;
}

const char* mode(bool training) { return training ? "training" : "eval"; }

// A check's body with its failures; an exception is one more failure.
ConformanceCheck run_check(const std::string& name, const std::function<void(std::vector<std::string>&)>& body) {
  ConformanceCheck c{name, {}};
  try {
    body(c.failures);
  } catch (const c10::Error& e) {
    c.failures.push_back(fmt::format("threw: {}", e.what_without_backtrace()));
  } catch (const std::exception& e) {
    c.failures.push_back(fmt::format("threw: {}", e.what()));
  }
  return c;
}

class Suite {
 public:
  Suite(const RouterSource& router, const RouterContext& site) : router_(router), site_(site) {}

  std::shared_ptr<Router> make(std::uint64_t seed) const {
    torch::manual_seed(seed);
    auto r = router_.make(site_);
    if (!r) throw std::runtime_error("the factory made no router");
    return r;
  }
  RouteOutput route(Router& r, const RouteInput& in, std::uint64_t seed = 7) const {
    torch::manual_seed(seed);
    return r.route(in);
  }
  torch::Tensor x() const { return torch::randn({B, T, site_.input_dim}); }
  bool policy_gradient() const { return router_.traits.policy_gradient; }
  std::int64_t n() const { return site_.num_experts; }

  void shapes(std::vector<std::string>& f) const {
    auto router = make(1);
    for (bool training : {true, false}) {
      auto out = route(*router, input(x(), training));
      auto where = [&](const std::string& what) { f.push_back(fmt::format("{}: {}", mode(training), what)); };
      if (!out.experts.defined() || out.experts.dim() != 3 || out.experts.size(0) != B || out.experts.size(1) != T ||
          out.experts.scalar_type() != torch::kLong) {
        where(fmt::format("experts {} should be int64 [{}, {}, k]", shape_of(out.experts), B, T));
        continue;
      }
      if (!out.weights.defined() || out.weights.sizes() != out.experts.sizes())
        where(fmt::format("weights {} should have the experts' shape {}", shape_of(out.weights), shape_of(out.experts)));
      else if (!torch::isfinite(out.weights).all().item<bool>())
        where("weights are not all finite");
      if (out.experts.numel() > 0 && (out.experts.min().item<std::int64_t>() < 0 ||
                                      out.experts.max().item<std::int64_t>() >= n()))
        where(fmt::format("an expert index outside [0, {})", n()));
      // The active-parameter count reads the width from the traits: they must say what the router does.
      auto declared = router_.traits.dense ? n() : std::min(site_.top_k, n());
      if (out.experts.size(2) != declared)
        where(fmt::format("routes {} experts per token, but its traits say {} ({}); the active-parameter count "
                          "follows the traits",
                          out.experts.size(2), declared,
                          router_.traits.dense ? "applies_every_expert: n" : "adapter.top_k; a dense router "
                                                                             "declares applies_every_expert()"));
      auto sorted = std::get<0>(out.experts.sort(-1));
      if (out.experts.size(2) > 1 && !sorted.diff(1, -1).gt(0).all().item<bool>())
        where("an expert chosen twice for one token");
      if (!out.probs.defined() || out.probs.sizes() != c10::IntArrayRef({B, T, n()})) {
        where(fmt::format("probs {} should be [{}, {}, {}]", shape_of(out.probs), B, T, n()));
      } else {
        if (!torch::allclose(out.probs.sum(-1), torch::ones({B, T}, out.probs.options()), 1e-5, 1e-5))
          where("probs do not sum to 1 over the experts");
        if (out.probs.min().item<double>() < 0) where("a negative probability");
      }
      bool want_log_prob = policy_gradient() && training;
      if (want_log_prob && !out.log_prob.defined())
        where("no log_prob, but the router's traits say it is trained by policy gradient");
      if (!policy_gradient() && out.log_prob.defined())
        where("a log_prob, but the router's traits say it learns through its weights (the host would ignore it)");
      if (out.log_prob.defined()) {
        if (out.log_prob.sizes() != c10::IntArrayRef({B})) where(fmt::format("log_prob {} should be [{}]", shape_of(out.log_prob), B));
        else if (!out.log_prob.le(1e-6).all().item<bool>()) where("log_prob above 0");
        if (!out.num_decisions.defined() || out.num_decisions.sizes() != c10::IntArrayRef({B}))
          where(fmt::format("num_decisions {} should be [{}] beside log_prob", shape_of(out.num_decisions), B));
      }
      if (out.token_log_prob.defined()) {
        if (!out.log_prob.defined()) where("a token_log_prob without a log_prob");
        else if (out.token_log_prob.sizes() != c10::IntArrayRef({B, T}))
          where(fmt::format("token_log_prob {} should be [{}, {}]", shape_of(out.token_log_prob), B, T));
        else if (!torch::allclose(out.token_log_prob.sum(1), out.log_prob, 1e-4, 1e-4))
          where("token_log_prob does not sum over the tokens to log_prob");
      }
      if (out.aux_loss.defined() && out.aux_loss.numel() != 1)
        where(fmt::format("aux_loss {} should be a scalar", shape_of(out.aux_loss)));
      if (out.site_input.defined() && out.site_input.sizes() != c10::IntArrayRef({B, T, site_.input_dim}))
        where(fmt::format("site_input {} should have the input's shape [{}, {}, {}]", shape_of(out.site_input), B, T,
                          site_.input_dim));
      if (out.pooled_balance_coef > 0 && out.aux_loss.defined())
        where("both an aux_loss and a pooled_balance_coef (a site's balance loss is one or the other)");
      if (out.pooled_balance_coef < 0) where("a negative pooled_balance_coef");
    }
  }

  void padding(std::vector<std::string>& f) const {
    auto router = make(3);
    auto clean = x();
    auto pad = valid_mask().logical_not().unsqueeze(-1);
    auto garbage = torch::where(pad, torch::randn({B, T, site_.input_dim}) * 1e4, clean);
    auto valid = valid_mask();
    auto at = [&](const torch::Tensor& t) { return t.index({valid}); };
    for (bool training : {true, false}) {
      auto a = route(*router, input(clean, training)), b = route(*router, input(garbage, training));
      auto where = [&](const std::string& what) {
        f.push_back(fmt::format("{}: padding tokens changed {}", mode(training), what));
      };
      if (!torch::equal(at(a.experts), at(b.experts))) where("the experts of valid tokens");
      if (!torch::allclose(at(a.weights), at(b.weights))) where("the weights of valid tokens");
      if (!torch::allclose(at(a.probs), at(b.probs))) where("the probs of valid tokens");
      if (a.log_prob.defined() && b.log_prob.defined() && !torch::allclose(a.log_prob, b.log_prob)) where("log_prob");
      if (a.aux_loss.defined() && b.aux_loss.defined() && !torch::allclose(a.aux_loss, b.aux_loss)) where("aux_loss");
    }
  }

  // Parameters whose gradient from `loss` is missing or zero.
  static std::vector<std::string> unreached(Router& r, const torch::Tensor& loss) {
    std::vector<std::string> names;
    auto params = r.named_parameters();
    std::vector<torch::Tensor> tensors;
    for (const auto& p : params) tensors.push_back(p.value());
    auto grads = torch::autograd::grad({loss}, tensors, {}, /*retain_graph=*/true, false, /*allow_unused=*/true);
    for (std::size_t i = 0; i < grads.size(); ++i)
      if (!grads[i].defined() || grads[i].abs().sum().item<double>() == 0) names.push_back(params[i].key());
    return names;
  }

  void gradients(std::vector<std::string>& f) const {
    auto router = make(4);
    auto xin = x().requires_grad_(true);
    auto out = route(*router, input(xin, true));
    const bool has_params = !router->parameters().empty();
    if (policy_gradient()) {
      if (!out.log_prob.defined()) return;  // reported by `shapes`
      if (has_params && !out.log_prob.requires_grad()) {
        f.push_back("log_prob does not depend on the router's parameters: the router could never learn");
      } else if (has_params) {
        for (const auto& name : unreached(*router, out.log_prob.sum()))
          f.push_back(fmt::format("log_prob does not reach the router parameter '{}'", name));
        auto g = torch::autograd::grad({out.log_prob.sum()}, {xin}, {}, true, false, true)[0];
        if (g.defined() && g.abs().sum().item<double>() > 0)
          f.push_back("log_prob carries gradient into the site input: detach it, or the router loss trains the model");
      }
      if (out.weights.requires_grad() && has_params) {
        auto reached = router->named_parameters().size() - unreached(*router, out.weights.sum()).size();
        if (reached > 0)
          f.push_back("the weights carry gradient to the router: a policy-gradient router learns through log_prob only");
      }
    } else if (has_params) {
      auto loss = (out.weights * torch::randn_like(out.weights)).sum();
      if (out.aux_loss.defined()) loss = loss + out.aux_loss.sum();
      if (!loss.requires_grad()) {
        f.push_back("the router has parameters but neither its weights nor its aux loss depend on them");
        return;
      }
      for (const auto& name : unreached(*router, loss))
        f.push_back(fmt::format("the router parameter '{}' is reached neither through the weights nor the aux loss",
                                name));
    }
  }

  void determinism(std::vector<std::string>& f) const {
    auto xin = x();
    for (bool training : {true, false}) {
      auto a = route(*make(5), input(xin, training), 9), b = route(*make(5), input(xin, training), 9);
      bool same = torch::equal(a.experts, b.experts) && torch::equal(a.weights, b.weights) &&
                  torch::equal(a.probs, b.probs) &&
                  (!a.log_prob.defined() || torch::equal(a.log_prob, b.log_prob)) &&
                  (!a.aux_loss.defined() || torch::equal(a.aux_loss, b.aux_loss));
      if (!same) f.push_back(fmt::format("{}: two routers made and run under one seed disagree", mode(training)));
    }
    if (policy_gradient()) {  // its draws must come from the seeded generator
      auto router = make(5);
      auto first = route(*router, input(xin, true), 9).experts;
      bool differs = false;
      for (std::uint64_t seed = 10; seed < 30 && !differs; ++seed)
        differs = !torch::equal(first, route(*router, input(xin, true), seed).experts);
      if (!differs) f.push_back("training draws the same experts under 20 seeds: does sampling use torch's generator?");
    }
  }

  void extremes(std::vector<std::string>& f) const {
    auto router = make(6);
    auto xin = ((torch::randint(0, 2, {B, T, site_.input_dim}).to(torch::kFloat) * 2 - 1) * 1e4).requires_grad_(true);
    auto valid = valid_mask();
    valid[0].fill_(false);  // a row without a single valid token
    for (bool training : {true, false}) {
      auto out = route(*router, input(xin, training, valid));
      auto where = [&](const std::string& what) { f.push_back(fmt::format("{}: {}", mode(training), what)); };
      if (!torch::isfinite(out.weights).all().item<bool>()) where("weights not finite for inputs of +-1e4");
      if (!torch::isfinite(out.probs).all().item<bool>()) where("probs not finite for inputs of +-1e4");
      auto loss = (out.weights * 0.5).sum();
      if (out.log_prob.defined()) {
        if (!torch::isfinite(out.log_prob).all().item<bool>()) where("log_prob not finite");
        else if (out.log_prob[0].item<double>() != 0.0) where("a row without valid tokens has a log_prob other than 0");
        loss = loss + out.log_prob.sum();
      }
      if (out.aux_loss.defined()) {
        if (!torch::isfinite(out.aux_loss).all().item<bool>()) where("aux_loss not finite");
        loss = loss + out.aux_loss.sum();
      }
      if (!loss.requires_grad()) continue;
      router->zero_grad();
      xin.mutable_grad() = torch::Tensor();
      loss.backward();
      for (const auto& p : router->named_parameters())
        if (p.value().grad().defined() && !torch::isfinite(p.value().grad()).all().item<bool>())
          where(fmt::format("the gradient of '{}' is not finite", p.key()));
      if (xin.grad().defined() && !torch::isfinite(xin.grad()).all().item<bool>())
        where("the gradient of the input is not finite");
    }
  }

 private:
  const RouterSource& router_;
  RouterContext site_;
};

}  // namespace

std::vector<ConformanceCheck> check_router_conformance(const RouterSource& router, const RouterContext& site) {
  Suite s(router, site);
  return {
      run_check("shapes", [&](auto& f) { s.shapes(f); }),
      run_check("padding", [&](auto& f) { s.padding(f); }),
      run_check("gradients", [&](auto& f) { s.gradients(f); }),
      run_check("determinism", [&](auto& f) { s.determinism(f); }),
      run_check("extremes", [&](auto& f) { s.extremes(f); }),
  };
}

bool gives_token_log_prob(const RouterSource& router, const RouterContext& site) {
  torch::NoGradGuard no_grad;  // a probe: nothing learns from it
  Suite s(router, site);
  auto r = s.make(1);
  return s.route(*r, input(s.x(), true)).token_log_prob.defined();
}

}  // namespace remix::adapter
