// The built-in fact tables of the knowledge task (datasets/facts/): entities.tsv (a header "name<TAB>attr...",
// then one made-up entity a line with one value per attribute) and templates.tsv (attribute, form "fact" or
// "question", template with {name} and {value}). Both are tab-separated; blank lines and lines starting with
// '#' are ignored. They are read strictly: any problem is a DataError with file:line.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace remix::tasks::knowledge {

struct FactTable {
  struct Entity {
    std::string name;
    std::vector<std::string> values;  // values[i] belongs to attributes[i]
  };
  std::vector<std::string> attributes;
  std::vector<Entity> entities;

  // Index of an attribute, or -1.
  int attribute_index(const std::string& attribute) const;
  // The distinct values of one attribute, sorted.
  std::vector<std::string> values_of(int attribute) const;
};

struct FactTemplates {
  std::map<std::string, std::vector<std::string>> facts;      // attribute -> fact sentence templates
  std::map<std::string, std::vector<std::string>> questions;  // attribute -> question templates
};

FactTable read_fact_table(const std::string& path);
// Templates for attributes the table does not have are an error, as are templates without {name}, fact
// templates without {value} and question templates with it.
FactTemplates read_fact_templates(const std::string& path, const FactTable& table);

}  // namespace remix::tasks::knowledge
