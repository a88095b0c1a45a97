// Building fact-recall questions and the pretraining sentences (see fact_questions.h).
#include "tasks/knowledge/fact_questions.h"

#include <algorithm>

#include "remix/errors.h"
#include "tasks/common/rng.h"
#include "tasks/common/text.h"

namespace remix::tasks::knowledge {

namespace {

std::vector<int> chosen_attributes(const FactTable& table, const FactTemplates& templates,
                                   const FactQuestionOptions& options) {
  std::vector<std::string> names = options.attributes.empty() ? table.attributes : options.attributes;
  std::vector<int> chosen;
  for (const auto& name : names) {
    int a = table.attribute_index(name);
    if (a < 0) throw ConfigError("knowledge: attributes: the fact table has no attribute '" + name + "'");
    if (!templates.facts.count(name) || !templates.questions.count(name))
      throw ConfigError("knowledge: attribute '" + name + "' needs at least one fact and one question template");
    if (static_cast<std::int64_t>(table.values_of(a).size()) < options.num_choices)
      throw ConfigError("knowledge: num_choices " + std::to_string(options.num_choices) + " is more than the " +
                        std::to_string(table.values_of(a).size()) + " values attribute '" + name + "' has");
    chosen.push_back(a);
  }
  return chosen;
}

MultipleChoice make_question(const FactTable& table, const FactTemplates& templates, const FactTable::Entity& entity,
                             int attribute, std::int64_t num_choices, std::uint64_t seed) {
  const std::string& name = table.attributes[static_cast<std::size_t>(attribute)];
  const std::string& value = entity.values[static_cast<std::size_t>(attribute)];
  MultipleChoice q;
  q.id = "fact/" + entity.name + "/" + name;
  Rng rng(seed, "question:" + q.id);
  q.question = fill_template(rng.pick(templates.questions.at(name)), {{"name", entity.name}});
  std::vector<std::string> distractors;
  for (const auto& v : table.values_of(attribute))
    if (v != value) distractors.push_back(v);
  rng.shuffle(distractors);
  distractors.resize(static_cast<std::size_t>(num_choices - 1));
  q.label = rng.uniform(0, num_choices - 1);
  q.choices = distractors;
  q.choices.insert(q.choices.begin() + q.label, value);
  q.metadata["entity"] = entity.name;
  q.metadata["attribute"] = name;
  q.metadata["split_group"] = entity.name;  // validation holds out whole entities, as the eval split does
  return q;
}

}  // namespace

FactQuestions make_fact_questions(const FactTable& full_table, const FactTemplates& templates,
                                  const FactQuestionOptions& options, std::uint64_t seed) {
  auto in_table = static_cast<std::int64_t>(full_table.entities.size());
  if (options.entities > in_table)
    throw ConfigError("knowledge: entities " + std::to_string(options.entities) + " is more than the " +
                      std::to_string(in_table) + " the fact table has (entities: 0 uses all of them)");
  FactTable table = full_table;
  if (options.entities > 0) table.entities.resize(static_cast<std::size_t>(options.entities));
  auto attributes = chosen_attributes(table, templates, options);
  auto n_entities = static_cast<std::int64_t>(table.entities.size());
  if (options.eval_entities >= n_entities)
    throw ConfigError("knowledge: eval_entities " + std::to_string(options.eval_entities) +
                      " leaves no train entities (of the " + std::to_string(n_entities) + " entities used)");
  std::vector<std::size_t> order(table.entities.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  Rng(seed, "entities").shuffle(order);

  FactQuestions out;
  for (std::size_t k = 0; k < order.size(); ++k) {
    const auto& entity = table.entities[order[k]];
    auto& split = static_cast<std::int64_t>(k) < options.eval_entities ? out.eval : out.train;
    for (int a : attributes) split.push_back(make_question(table, templates, entity, a, options.num_choices, seed));
  }
  Rng(seed, "train-order").shuffle(out.train);
  Rng(seed, "eval-order").shuffle(out.eval);

  std::vector<std::string> sentences;
  for (const auto& entity : table.entities)
    for (int a : attributes) {
      const auto& name = table.attributes[static_cast<std::size_t>(a)];
      const auto& forms = templates.facts.at(name);
      std::size_t n = options.fact_forms > 0 ? std::min<std::size_t>(forms.size(), options.fact_forms) : forms.size();
      for (std::size_t f = 0; f < n; ++f)
        sentences.push_back(fill_template(forms[f], {{"name", entity.name}, {"value", entity.values[a]}}));
    }
  Rng(seed, "pretrain").shuffle(sentences);
  for (const auto& s : sentences) out.pretraining += s + "\n";
  return out;
}

}  // namespace remix::tasks::knowledge
