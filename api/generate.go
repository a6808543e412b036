package api

// gqlgen resolves the paths in gqlgen.yml from the repository root.
//go:generate go -C .. tool gqlgen generate --config gqlgen.yml
