// Package classify tags what discovery found with data classes (PII, PCI,
// PHI, CREDENTIALS, FINANCIAL) and rolls them up.
//
// # Rules
//
// A field, column or environment key is classified from:
//   - its name (Name): snake, camel, kebab and dotted names are split into
//     words; whole names known to hold a class (email, dateOfBirth,
//     cardNumber, cvv, ccv, ssn, dob, iban, password, accessToken, icd10Code
//     …) count with confidence 0.95; otherwise the last word decides
//     (shippingAddress → PII, mfaSecret → CREDENTIALS) unless it is a
//     neutral word saying the field is about the thing without holding it
//     (emailVerified, cardId, cardLast4, tokenType, expiresAt). Context from
//     the parents of a nested field counts: card.number and card.expires are
//     PCI, address.number is PII, user.name is PII, while name, id, count,
//     page, title alone are nothing. Generic words (document, notes,
//     results) are PHI only in a health-care context (props domain=health);
//   - its format (format: email → PII, password → CREDENTIALS, ipv4 → PII);
//   - what its example is (a Luhn-valid card number → PCI, an e-mail address
//     → PII, an SSN → PII, a mod-97-valid IBAN → FINANCIAL), recorded by the
//     agent as a hint, never the value itself; a card number on a field
//     named as an identifier or count (orderId, itemCount) is evidence
//     only, as one 16-digit number in ten passes the Luhn check;
//   - explicit annotations (x-data-classification in OpenAPI, COMMENT ON
//     COLUMN in SQL, data-classification labels), confidence 1.
//
// A class counts for an element when some tag has confidence ≥ Threshold.
//
// # Properties
//
// Inputs (set by agents): requestFields, responseFields, parameters (API);
// columns ("table.column", DataStore); envKeys (Service); fieldHints (a
// nested Props: field → []string of "format:…", "example:…",
// "annotation:CLASS"); declaredClasses ([]string, any node); labels and
// annotations (nested Props, any node: a key ending in
// "data-classification" or "data-classes" holds a comma-separated list of
// classes); domain ("health" makes generic words PHI).
//
// Outputs: DataClasses; classEvidence ([]string, one per tag, at most 32:
// "CLASS:field(reason,confidence)@file:line", e.g.
// "PCI:cardNumber(example:card-number,0.90)@openapi/pay.yaml:40");
// classConfidence (nested Props class → highest confidence); for services,
// configClasses ([]string) from environment variable names, kept apart
// from the service's data classes because a variable named DB_PASSWORD
// says the service holds a credential, not that its API carries one.
package classify

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/graph"
)

// MaxEvidence caps classEvidence per element.
const MaxEvidence = 32

// Linker tags APIs, data stores and services (discovery.PhaseClassify).
type Linker struct{}

func (Linker) Name() string { return "classify" }
func (Linker) Phase() int   { return discovery.PhaseClassify }

// Link classifies every node in c.
func (Linker) Link(ctx context.Context, c *discovery.Collector) error {
	for _, n := range c.Nodes() {
		if err := ctx.Err(); err != nil {
			return err
		}
		ClassifyNode(n)
	}
	return nil
}

// Fields returns the fields of n that are classified, with the prop they
// come from.
func fields(n *graph.Node) [][2]string {
	var out [][2]string
	for _, k := range []string{"requestFields", "responseFields", "parameters", "columns"} {
		for _, f := range n.Props.Strings(k) {
			out = append(out, [2]string{k, f})
		}
	}
	return out
}

// ClassifyNode sets n's data classes and evidence from its properties.
func ClassifyNode(n *graph.Node) {
	if n.Props == nil {
		return
	}
	health := n.Props.String("domain") == "health"
	hints, _ := n.Props["fieldHints"].(graph.Props)
	var tags []Tag
	seen := map[string]bool{}
	for _, kf := range fields(n) {
		f := kf[1]
		if seen[f] {
			continue
		}
		seen[f] = true
		fh := health
		if kf[0] == "columns" {
			table, _, _ := strings.Cut(f, ".")
			fh = health || IsHealthContext(table)
		}
		tags = append(tags, Field(f, fh, hintsOf(hints, f))...)
	}
	for _, d := range n.Props.Strings("declaredClasses") {
		tags = append(tags, Annotation("(declared)", d)...)
	}
	// Kubernetes-style labels and annotations kept as nested props:
	// riskgraph.io/data-classification: "PII,PCI" and the like.
	for _, k := range []string{"labels", "annotations"} {
		m, _ := n.Props[k].(graph.Props)
		for _, key := range m.Keys() {
			lk := strings.ToLower(key)
			if v, ok := m[key].(string); ok && (strings.HasSuffix(lk, "data-classification") || strings.HasSuffix(lk, "data-classes")) {
				tags = append(tags, Annotation(k+":"+key, v)...)
			}
		}
	}
	if n.Kind == graph.Service {
		var cfg []Tag
		for _, k := range n.Props.Strings("envKeys") {
			cfg = append(cfg, Name(strings.TrimSuffix(k, "_FILE"), false)...)
		}
		if cs := strongClasses(cfg); len(cs) > 0 {
			n.Props["configClasses"] = cs
		}
		tags = append(tags, cfg...)
		defer func() {
			// env keys are evidence, not data classes of the service.
			n.DataClasses = without(n.DataClasses, cfg, tags)
		}()
	}
	if len(tags) == 0 {
		return
	}
	where := location(n)
	best := graph.Props{}
	var ev []string
	for _, t := range tags {
		if old, ok := best[string(t.Class)].(float64); !ok || t.Confidence > old {
			best[string(t.Class)] = t.Confidence
		}
		if len(ev) < MaxEvidence {
			e := fmt.Sprintf("%s:%s(%s,%.2f)", t.Class, t.Field, t.Reason, t.Confidence)
			if w := where(t.Field); w != "" {
				e += "@" + w
			}
			if !slices.Contains(ev, e) {
				ev = append(ev, e)
			}
		}
	}
	n.Props["classEvidence"] = ev
	n.Props["classConfidence"] = best
	n.DataClasses = union(n.DataClasses, strongClasses(tags))
}

// without drops from cs the classes that only configuration tags gave.
func without(cs []graph.DataClass, cfg, all []Tag) []graph.DataClass {
	data := strongClasses(all[:len(all)-len(cfg)])
	var out []graph.DataClass
	for _, c := range cs {
		if slices.Contains(data, string(c)) || !slices.Contains(strongClasses(cfg), string(c)) {
			out = append(out, c)
		}
	}
	return out
}

// Field classifies one field from its name and hints ("format:email",
// "example:card-number", "annotation:PII").
func Field(f string, health bool, hints []string) []Tag {
	tags := Name(f, health)
	for _, h := range hints {
		kind, val, _ := strings.Cut(h, ":")
		switch kind {
		case "format":
			tags = append(tags, Format(f, val)...)
		case "example":
			ex := Example(f, val)
			if val == "card-number" && identifierName(f) {
				// A 16-digit identifier passes the Luhn check one time in
				// ten: kept as evidence, not as a class.
				for i := range ex {
					ex[i].Confidence = 0.5
				}
			}
			tags = append(tags, ex...)
		case "annotation":
			tags = append(tags, Annotation(f, val)...)
		}
	}
	return tags
}

// identifierName reports whether a field's name says it holds an
// identifier or a count (orderId, tracking_number_id, itemCount).
func identifierName(f string) bool {
	parts := strings.Split(f, ".")
	toks := Tokens(parts[len(parts)-1])
	if len(toks) == 0 {
		return false
	}
	switch toks[len(toks)-1] {
	case "id", "ids", "uuid", "guid", "count", "total", "timestamp", "ts", "version", "seq", "sequence":
		return true
	}
	return false
}

func hintsOf(h graph.Props, f string) []string {
	if h == nil {
		return nil
	}
	switch v := h[f].(type) {
	case []string:
		return v
	case string:
		return []string{v}
	}
	return nil
}

// location returns a function giving the file:line a field's evidence
// points at: the node source naming the field's table (SQL), else the
// node's first source.
func location(n *graph.Node) func(field string) string {
	return func(field string) string {
		table, _, ok := strings.Cut(field, ".")
		if ok {
			for _, s := range n.Sources {
				if strings.HasSuffix(s.Detail, "CREATE TABLE "+table) {
					return fmt.Sprintf("%s:%d", s.File, s.Line)
				}
			}
		}
		for _, s := range n.Sources {
			if s.File != "" {
				return fmt.Sprintf("%s:%d", s.File, s.Line)
			}
		}
		return ""
	}
}

func strongClasses(tags []Tag) []string {
	var out []string
	for _, t := range tags {
		if t.Confidence >= Threshold && !slices.Contains(out, string(t.Class)) {
			out = append(out, string(t.Class))
		}
	}
	sort.Slice(out, func(i, j int) bool { return rank(graph.DataClass(out[i])) < rank(graph.DataClass(out[j])) })
	return out
}

func rank(c graph.DataClass) int {
	if i := slices.Index(graph.DataClasses, c); i >= 0 {
		return i
	}
	return len(graph.DataClasses)
}

func union(a []graph.DataClass, b []string) []graph.DataClass {
	out := slices.Clone(a)
	for _, s := range b {
		if c := graph.DataClass(s); c.Valid() && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return rank(out[i]) < rank(out[j]) })
	return out
}

// Propagate rolls classes up once everything is classified
// (discovery.PhasePropagate): a service's data classes are the union of its
// APIs' (and its declared ones); READS and WRITES edges carry their data
// store's classes; a CALLS edge to an API carries that API's classes (a
// CALLS edge to a whole service carries none: which operations are called
// is not known).
type Propagate struct{}

func (Propagate) Name() string { return "classify-propagate" }
func (Propagate) Phase() int   { return discovery.PhasePropagate }

func (Propagate) Link(ctx context.Context, c *discovery.Collector) error {
	for _, e := range c.Edges(graph.Exposes) {
		from, ok1 := c.Node(e.From)
		to, ok2 := c.Node(e.To)
		if !ok1 || !ok2 || from.Kind != graph.Service || len(to.DataClasses) == 0 {
			continue
		}
		var cs []string
		for _, x := range to.DataClasses {
			cs = append(cs, string(x))
		}
		from.DataClasses = union(from.DataClasses, cs)
	}
	for _, e := range c.Edges(graph.Reads, graph.Writes, graph.Calls) {
		to, ok := c.Node(e.To)
		if !ok || len(to.DataClasses) == 0 {
			continue
		}
		if e.Kind == graph.Calls && to.Kind != graph.API {
			continue
		}
		var cs []string
		for _, x := range to.DataClasses {
			cs = append(cs, string(x))
		}
		e.DataClasses = union(e.DataClasses, cs)
	}
	return nil
}
