// Package gen generates large, realistic, deterministic estates for
// benchmarks and load tests.
package gen
