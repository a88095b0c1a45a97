// random_router: a complete remix router plugin in one file, built outside the remix tree.
// Each token gets k distinct experts drawn uniformly at random, each with weight `weight / k`
// (the random-routing baseline of the MoE literature). Build it against an installed remix:
//   cmake -S . -B build -DCMAKE_PREFIX_PATH=<remix install prefix> && cmake --build build
// then `ctest --test-dir build` runs the router conformance suite on it, `remix plugins --plugin-path build`
// lists it and `router: {plugin: random_router}` uses it.
#include <remix/plugin.h>

namespace {

const remix::ParamSpec kParams[] = {
    remix::param("weight", remix::ParamType::Float, "1.0", "total weight of the chosen experts").range(0, 100),
};

class RandomRouter : public remix::Router {
 public:
  RandomRouter(const remix::Params& p, const remix::RouterContext& site)
      : weight_(p.get_float("weight")), n_(site.num_experts), k_(site.top_k) {}

  remix::RouteOutput route(const remix::RouteInput& in) override {
    auto B = in.x.size(0), T = in.x.size(1);
    // The k largest of n uniform draws are k distinct experts, uniformly at random.
    auto experts = std::get<1>(torch::rand({B, T, n_}, in.x.options()).topk(k_, -1));
    remix::RouteOutput out;
    out.experts = experts;
    out.weights = torch::full({B, T, k_}, weight_ / static_cast<double>(k_), in.x.options());
    out.probs = torch::full({B, T, n_}, 1.0 / static_cast<double>(n_), in.x.options());
    return out;
  }

 private:
  double weight_;
  std::int64_t n_, k_;
};

}  // namespace

REMIX_ROUTER_PLUGIN(RandomRouter, "random_router", "1.0.0", "k experts uniformly at random, equal weights", kParams)
