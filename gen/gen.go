// Package gen generates large, realistic estates for benchmarks and load
// tests, deterministically from a seed.
//
// The shape follows real estates: most services belong to a few large
// applications; a few services (auth, catalog-like hubs) receive most calls
// (targets are drawn with a power-law bias); a small share of services is
// internet-facing through Internet → load balancer → ingress or API gateway
// → service and its APIs; APIs and data stores carry data classes from the
// resources they handle (customers → PII, payments → PCI, patients → PHI,
// tokens → CREDENTIALS, accounts → FINANCIAL); packages form a dependency
// DAG in which low-numbered packages are the popular foundations every
// ecosystem shares; some packages are affected by vulnerabilities; findings
// sit on services, APIs, images, data stores and repositories.
//
// Property names follow the demo estate's conventions (see package
// testdata/demo).
//
// Every random choice is a pure function of (seed, what, index), so any
// element can be regenerated on its own; Each streams batches without
// holding the estate in memory (only the ids of services, data stores and
// packages are kept, for the edges that point at them).
package gen

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/riskgraph/riskgraph/graph"
)

// Config says how large an estate to generate. Counts are totals across
// environments; per-element counts (APIs, dependencies, calls) are means.
type Config struct {
	Seed            int64
	Applications    int
	Teams           int
	Services        int
	APIsPerService  int // mean operations per service
	DataStores      int
	Gateways        int // ingress and API gateways, besides one load balancer per environment
	ThirdParties    int
	Packages        int
	DepsPerService  int     // mean direct package dependencies of a service
	DepsPerPackage  int     // mean dependencies of a package
	Vulnerabilities int     // each affects 1–3 packages
	Findings        int     // spread over services, APIs, images, data stores, repositories
	CallsPerService int     // mean CALLS out of a service
	InternetFacing  float64 // share of services routed from a public gateway
	StagingShare    float64 // share of services and stores in staging (the rest is prod)
}

// Small is a quick estate for tests: 6,576 nodes and 17,560 edges.
var Small = Config{
	Seed: 1, Applications: 12, Teams: 6, Services: 200, APIsPerService: 10, DataStores: 40,
	Gateways: 6, ThirdParties: 10, Packages: 2000, DepsPerService: 25, DepsPerPackage: 3,
	Vulnerabilities: 150, Findings: 1500, CallsPerService: 4, InternetFacing: 0.08, StagingShare: 0.25,
}

// Large is the benchmark estate: 1,001,917 nodes and 2,954,105 edges (10k services,
// 200k APIs).
func Large() Config {
	return Config{
		Seed: 1, Applications: 300, Teams: 120, Services: 10_000, APIsPerService: 20, DataStores: 5_000,
		Gateways: 100, ThirdParties: 500, Packages: 275_000, DepsPerService: 100, DepsPerPackage: 4,
		Vulnerabilities: 25_000, Findings: 455_000, CallsPerService: 6, InternetFacing: 0.05, StagingShare: 0.2,
	}
}

// ObservedAt is the fixed observation time of generated batches.
var ObservedAt = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

// Scope is the scope of the estate generated from cfg.
func (cfg Config) Scope() graph.Scope {
	return graph.Scope{Source: "gen", Key: "seed-" + strconv.FormatInt(cfg.Seed, 10)}
}

// Run is the run id of the estate generated from cfg.
func (cfg Config) Run() graph.RunID { return graph.RunID("gen-" + strconv.FormatInt(cfg.Seed, 10)) }

// Generate returns the whole estate as batches of up to batchSize elements.
// It holds everything in memory; use Each for large estates.
func (cfg Config) Generate(batchSize int) ([]graph.Batch, error) {
	var out []graph.Batch
	err := cfg.Each(batchSize, func(b graph.Batch) error { out = append(out, b); return nil })
	return out, err
}

// Each generates the estate and calls fn with batches of up to batchSize
// elements (nodes plus edges), in dependency order: every edge's endpoints
// are in its batch or an earlier one, so each batch passes CheckEndpoints
// against the state the earlier ones built. Batches are fresh; fn may keep
// them. An error from fn stops generation and is returned.
func (cfg Config) Each(batchSize int, fn func(graph.Batch) error) error {
	if batchSize <= 0 {
		return fmt.Errorf("gen: batch size %d, want > 0", batchSize)
	}
	if err := cfg.check(); err != nil {
		return err
	}
	g := newGenerator(cfg, batchSize, fn)
	g.run()
	if g.err == nil {
		g.flush()
	}
	return g.err
}

func (cfg Config) check() error {
	switch {
	case cfg.Applications < 1 || cfg.Teams < 1 || cfg.Services < 1:
		return fmt.Errorf("gen: need at least one application, team and service (got %d, %d, %d)", cfg.Applications, cfg.Teams, cfg.Services)
	case cfg.APIsPerService < 0 || cfg.DataStores < 0 || cfg.Gateways < 0 || cfg.ThirdParties < 0 ||
		cfg.Packages < 0 || cfg.DepsPerService < 0 || cfg.DepsPerPackage < 0 || cfg.Vulnerabilities < 0 ||
		cfg.Findings < 0 || cfg.CallsPerService < 0:
		return fmt.Errorf("gen: negative count in config %+v", cfg)
	case cfg.InternetFacing < 0 || cfg.InternetFacing > 1 || cfg.StagingShare < 0 || cfg.StagingShare > 1:
		return fmt.Errorf("gen: InternetFacing and StagingShare must be within [0, 1] (got %v, %v)", cfg.InternetFacing, cfg.StagingShare)
	}
	return nil
}

// rng is splitmix64: tiny, fast, and seeded per element so that choices do
// not depend on generation order.
type rng struct{ s uint64 }

func (c *Config) rng(what uint64, i int) rng {
	return rng{s: mix(uint64(c.Seed)*0x9e3779b97f4a7c15 ^ what<<48 ^ uint64(i))}
}

func mix(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func (r *rng) next() uint64 { r.s += 0x9e3779b97f4a7c15; return mix(r.s) }

// intn returns a number in [0, n); n must be > 0.
func (r *rng) intn(n int) int { return int((r.next() >> 1) % uint64(n)) }

func (r *rng) float() float64 { return float64(r.next()>>11) / (1 << 53) }

func (r *rng) chance(p float64) bool { return r.float() < p }

// skewed returns a number in [0, n) biased towards 0: with a = 3, the first
// 1% of the range gets about a fifth of the draws.
func (r *rng) skewed(n int, a float64) int {
	i := int(float64(n) * math.Pow(r.float(), a))
	if i >= n {
		i = n - 1
	}
	return i
}

// around returns a count with mean m, spread between 0 and 2m.
func (r *rng) around(m int) int {
	if m <= 0 {
		return 0
	}
	return r.intn(2*m + 1)
}

// Salts for the per-element generators.
const (
	saltService = iota + 1
	saltStore
	saltPackage
	saltVuln
	saltFinding
	saltCalls
	saltDeps
	saltGateway
	saltRole
	saltAPI
)
