// An empty translation unit: the target exists to build the plugins' precompiled header.
