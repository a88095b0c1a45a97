// Paired bootstrap and seed-level t-interval (see paired_difference.h).
#include "report/paired_difference.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>

namespace remix::report {

double t_quantile_975(int df) {
  static const double table[] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                                 2.201,  2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
                                 2.080,  2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};
  if (df < 1) throw std::invalid_argument("t_quantile_975: df must be >= 1");
  if (df <= 30) return table[df - 1];
  const double z = 1.959964, n = df;
  return z + (z * z * z + z) / (4 * n) + (5 * std::pow(z, 5) + 16 * z * z * z + 3 * z) / (96 * n * n);
}

namespace {

double mean_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

double percentile(std::vector<double>& sorted, double p) {  // linear between order statistics; `sorted` is sorted
  const double at = p * static_cast<double>(sorted.size() - 1);
  const auto i = static_cast<std::size_t>(std::floor(at));
  const double frac = at - static_cast<double>(i);
  return i + 1 < sorted.size() ? sorted[i] * (1 - frac) + sorted[i + 1] * frac : sorted[i];
}

}  // namespace

PairedDifference paired_difference(const std::vector<std::vector<double>>& differences, int resamples,
                                   std::uint64_t rng_seed) {
  std::vector<std::vector<std::vector<double>>> clusters;
  for (const auto& d : differences) clusters.push_back({d});
  return clustered_paired_difference(clusters, resamples, rng_seed);
}

PairedDifference clustered_paired_difference(const std::vector<std::vector<std::vector<double>>>& clusters,
                                             int resamples, std::uint64_t rng_seed) {
  if (clusters.empty()) throw std::invalid_argument("paired_difference: no seeds");
  PairedDifference out;
  out.clusters = static_cast<int>(clusters.size());
  std::vector<double> cluster_means;
  for (const auto& c : clusters) {
    if (c.empty()) throw std::invalid_argument("paired_difference: a cluster without seeds");
    std::vector<double> seed_means;
    for (const auto& d : c) {
      if (d.empty()) throw std::invalid_argument("paired_difference: a seed without examples");
      seed_means.push_back(mean_of(d));
      out.examples += static_cast<std::int64_t>(d.size());
    }
    out.seeds += static_cast<int>(c.size());
    cluster_means.push_back(mean_of(seed_means));
  }
  out.mean = mean_of(cluster_means);
  if (out.clusters > 1) {
    double ss = 0;
    for (double m : cluster_means) ss += (m - out.mean) * (m - out.mean);
    const double half =
        t_quantile_975(out.clusters - 1) * std::sqrt(ss / (out.clusters - 1)) / std::sqrt(out.clusters);
    out.t = Interval{out.mean - half, out.mean + half};
  }
  std::mt19937_64 rng(rng_seed);
  auto draw = [&rng](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); };
  std::vector<double> stats;
  stats.reserve(static_cast<std::size_t>(resamples));
  for (int b = 0; b < resamples; ++b) {
    double total = 0;
    for (int k = 0; k < out.clusters; ++k) {
      const auto& c = clusters[draw(clusters.size())];
      double cluster_total = 0;
      for (std::size_t s = 0; s < c.size(); ++s) {
        // A cluster of one seed draws no seed: its resamples are then paired_difference's, number for number.
        const auto& d = c.size() == 1 ? c[0] : c[draw(c.size())];
        double sum = 0;
        for (std::size_t i = 0; i < d.size(); ++i) sum += d[draw(d.size())];
        cluster_total += sum / static_cast<double>(d.size());
      }
      total += cluster_total / static_cast<double>(c.size());
    }
    stats.push_back(total / out.clusters);
  }
  std::sort(stats.begin(), stats.end());
  out.bootstrap = Interval{percentile(stats, 0.025), percentile(stats, 0.975)};
  return out;
}

}  // namespace remix::report
