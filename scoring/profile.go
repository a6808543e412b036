package scoring

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"

	"gopkg.in/yaml.v3"

	"github.com/riskgraph/riskgraph/graph"
)

// Profile holds every weight the risk score uses. The YAML form uses the
// json/yaml names below; a file need only name the weights it changes, the
// rest keep DefaultProfile's values. Unknown keys are rejected with their
// line, so a typo never silently leaves a default in place.
//
//	severity:                    # severity factor, 0..1
//	  levels: {critical: 0.95, high: 0.75, medium: 0.5, low: 0.25, info: 0.05}
//	  unknown: 0.5               # no CVSS and no recognised tool severity
//	  epssWeight: 0.5            # s += epssWeight × epss × (1 − s)
//	  kevBoost: 0.5              # listed in CISA KEV: s += kevBoost × (1 − s)
//	exploitability:              # exploitability factor, 0..1
//	  internetUnauthenticated: 1.0
//	  internetAuthenticated: 0.55   # every path crosses an authentication step
//	  unreachable: 0.1           # deployed, but no path from the Internet
//	  notDeployed: 0.05          # no running service carries the subject
//	  hopDecay: 0.85             # × hopDecay per service-to-service hop
//	  controlFactor: 0.9         # × per network control on the path (NetworkPolicy, security group)
//	  vexNotAffected: 0.02       # VEX not_affected or false_positive
//	  vexExploitableFloor: 0.8   # VEX exploitable: at least this
//	  environments: {prod: 1.0, production: 1.0, staging: 0.7}
//	  otherEnvironment: 0.5      # an env not listed above (dev, test, …)
//	impact:                      # impact factor, 0..1
//	  dataClasses: {PCI: 1.0, PHI: 1.0, CREDENTIALS: 1.0, PII: 0.8, FINANCIAL: 0.7, INTERNAL: 0.3}
//	  noData: 0.15               # reaches no classified data
//	  breadthBonus: 0.05         # + per further class reached, capped at 1
//	  criticality: {tier-1: 1.0, tier-2: 0.8, tier-3: 0.6}
//	  unknownCriticality: 0.7    # no application, or no criticality set
//	autoTriageBelow: 10          # open findings scoring below are auto-triaged (KPIs)
//	exploitableAbove: 0.3        # exploitability at or above counts as exploitable (KPIs, attack paths)
//	paths:
//	  authenticatedStep: 0.5     # attack path enters an authenticated API
//	  noFindingStep: 0.1         # moving on from a node without an open finding
//	  maxHops: 12                # default PathQuery.MaxHops
//	  limit: 10                  # default PathQuery.Limit
type Profile struct {
	Severity         SeverityWeights       `json:"severity" yaml:"severity"`
	Exploitability   ExploitabilityWeights `json:"exploitability" yaml:"exploitability"`
	Impact           ImpactWeights         `json:"impact" yaml:"impact"`
	AutoTriageBelow  float64               `json:"autoTriageBelow" yaml:"autoTriageBelow"`
	ExploitableAbove float64               `json:"exploitableAbove" yaml:"exploitableAbove"`
	Paths            PathWeights           `json:"paths" yaml:"paths"`
}

// SeverityWeights turn CVSS, tool severity, EPSS and KEV into the severity
// factor.
type SeverityWeights struct {
	Levels     map[string]float64 `json:"levels" yaml:"levels"`
	Unknown    float64            `json:"unknown" yaml:"unknown"`
	EPSSWeight float64            `json:"epssWeight" yaml:"epssWeight"`
	KEVBoost   float64            `json:"kevBoost" yaml:"kevBoost"`
}

// ExploitabilityWeights turn exposure and VEX into the exploitability factor.
type ExploitabilityWeights struct {
	InternetUnauthenticated float64            `json:"internetUnauthenticated" yaml:"internetUnauthenticated"`
	InternetAuthenticated   float64            `json:"internetAuthenticated" yaml:"internetAuthenticated"`
	Unreachable             float64            `json:"unreachable" yaml:"unreachable"`
	NotDeployed             float64            `json:"notDeployed" yaml:"notDeployed"`
	HopDecay                float64            `json:"hopDecay" yaml:"hopDecay"`
	ControlFactor           float64            `json:"controlFactor" yaml:"controlFactor"`
	VEXNotAffected          float64            `json:"vexNotAffected" yaml:"vexNotAffected"`
	VEXExploitableFloor     float64            `json:"vexExploitableFloor" yaml:"vexExploitableFloor"`
	Environments            map[string]float64 `json:"environments" yaml:"environments"`
	OtherEnvironment        float64            `json:"otherEnvironment" yaml:"otherEnvironment"`
}

// ImpactWeights turn reachable data and business criticality into the
// impact factor.
type ImpactWeights struct {
	DataClasses        map[graph.DataClass]float64 `json:"dataClasses" yaml:"dataClasses"`
	NoData             float64                     `json:"noData" yaml:"noData"`
	BreadthBonus       float64                     `json:"breadthBonus" yaml:"breadthBonus"`
	Criticality        map[string]float64          `json:"criticality" yaml:"criticality"`
	UnknownCriticality float64                     `json:"unknownCriticality" yaml:"unknownCriticality"`
}

// PathWeights tune attack-path search and scoring.
type PathWeights struct {
	AuthenticatedStep float64 `json:"authenticatedStep" yaml:"authenticatedStep"`
	NoFindingStep     float64 `json:"noFindingStep" yaml:"noFindingStep"`
	MaxHops           int     `json:"maxHops" yaml:"maxHops"`
	Limit             int     `json:"limit" yaml:"limit"`
}

// DefaultProfile returns the built-in weights (documented on Profile).
func DefaultProfile() Profile {
	return Profile{
		Severity: SeverityWeights{
			Levels:     map[string]float64{"critical": 0.95, "high": 0.75, "medium": 0.5, "low": 0.25, "info": 0.05},
			Unknown:    0.5,
			EPSSWeight: 0.5,
			KEVBoost:   0.5,
		},
		Exploitability: ExploitabilityWeights{
			InternetUnauthenticated: 1.0,
			InternetAuthenticated:   0.55,
			Unreachable:             0.1,
			NotDeployed:             0.05,
			HopDecay:                0.85,
			ControlFactor:           0.9,
			VEXNotAffected:          0.02,
			VEXExploitableFloor:     0.8,
			Environments:            map[string]float64{"prod": 1.0, "production": 1.0, "staging": 0.7},
			OtherEnvironment:        0.5,
		},
		Impact: ImpactWeights{
			DataClasses: map[graph.DataClass]float64{graph.PCI: 1.0, graph.PHI: 1.0, graph.Credentials: 1.0,
				graph.PII: 0.8, graph.Financial: 0.7, graph.Internal: 0.3},
			NoData:             0.15,
			BreadthBonus:       0.05,
			Criticality:        map[string]float64{"tier-1": 1.0, "tier-2": 0.8, "tier-3": 0.6},
			UnknownCriticality: 0.7,
		},
		AutoTriageBelow:  10,
		ExploitableAbove: 0.3,
		Paths:            PathWeights{AuthenticatedStep: 0.5, NoFindingStep: 0.1, MaxHops: 12, Limit: 10},
	}
}

// LoadProfile reads a YAML profile from path on top of DefaultProfile.
// Errors name the file, the line and the key.
func LoadProfile(path string) (Profile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Profile{}, fmt.Errorf("profile: %w", err)
	}
	p, err := ParseProfile(data)
	if err != nil {
		return Profile{}, fmt.Errorf("profile %s: %w", path, err)
	}
	return p, nil
}

// ParseProfile is LoadProfile for YAML already in memory.
func ParseProfile(data []byte) (Profile, error) {
	p := DefaultProfile()
	if len(bytes.TrimSpace(data)) == 0 {
		return p, nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			return Profile{}, fmt.Errorf("%s", joinLines(te.Errors))
		}
		return Profile{}, err
	}
	var root yaml.Node
	_ = yaml.Unmarshal(data, &root)
	if err := p.validate(&root); err != nil {
		return Profile{}, err
	}
	return p, nil
}

func joinLines(errs []string) string {
	var b bytes.Buffer
	for i, e := range errs {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(e)
	}
	return b.String()
}

// validate checks ranges; root (the parsed document) supplies line numbers.
func (p *Profile) validate(root *yaml.Node) error {
	var errs []error
	unit := func(v float64, path ...string) {
		if math.IsNaN(v) || v < 0 || v > 1 {
			errs = append(errs, fmt.Errorf("line %d: %s: %v is out of range, want a number from 0 to 1", lineOf(root, path...), joinPath(path), v))
		}
	}
	for _, k := range sortedKeys(p.Severity.Levels) {
		unit(p.Severity.Levels[k], "severity", "levels", k)
	}
	unit(p.Severity.Unknown, "severity", "unknown")
	unit(p.Severity.EPSSWeight, "severity", "epssWeight")
	unit(p.Severity.KEVBoost, "severity", "kevBoost")
	x := &p.Exploitability
	unit(x.InternetUnauthenticated, "exploitability", "internetUnauthenticated")
	unit(x.InternetAuthenticated, "exploitability", "internetAuthenticated")
	unit(x.Unreachable, "exploitability", "unreachable")
	unit(x.NotDeployed, "exploitability", "notDeployed")
	unit(x.HopDecay, "exploitability", "hopDecay")
	unit(x.ControlFactor, "exploitability", "controlFactor")
	unit(x.VEXNotAffected, "exploitability", "vexNotAffected")
	unit(x.VEXExploitableFloor, "exploitability", "vexExploitableFloor")
	for _, k := range sortedKeys(x.Environments) {
		unit(x.Environments[k], "exploitability", "environments", k)
	}
	unit(x.OtherEnvironment, "exploitability", "otherEnvironment")
	if x.InternetAuthenticated > x.InternetUnauthenticated {
		errs = append(errs, fmt.Errorf("line %d: exploitability.internetAuthenticated (%v) exceeds internetUnauthenticated (%v): authentication must never raise a score",
			lineOf(root, "exploitability", "internetAuthenticated"), x.InternetAuthenticated, x.InternetUnauthenticated))
	}
	for _, c := range sortedKeys(p.Impact.DataClasses) {
		if !c.Valid() {
			errs = append(errs, fmt.Errorf("line %d: impact.dataClasses: unknown data class %q, want one of %v", lineOf(root, "impact", "dataClasses", string(c)), c, graph.DataClasses))
		}
		unit(p.Impact.DataClasses[c], "impact", "dataClasses", string(c))
	}
	unit(p.Impact.NoData, "impact", "noData")
	unit(p.Impact.BreadthBonus, "impact", "breadthBonus")
	for _, k := range sortedKeys(p.Impact.Criticality) {
		unit(p.Impact.Criticality[k], "impact", "criticality", k)
	}
	unit(p.Impact.UnknownCriticality, "impact", "unknownCriticality")
	if p.AutoTriageBelow < 0 || p.AutoTriageBelow > 100 {
		errs = append(errs, fmt.Errorf("line %d: autoTriageBelow: %v, want a risk from 0 to 100", lineOf(root, "autoTriageBelow"), p.AutoTriageBelow))
	}
	unit(p.ExploitableAbove, "exploitableAbove")
	unit(p.Paths.AuthenticatedStep, "paths", "authenticatedStep")
	unit(p.Paths.NoFindingStep, "paths", "noFindingStep")
	if p.Paths.MaxHops < 1 || p.Paths.MaxHops > 64 {
		errs = append(errs, fmt.Errorf("line %d: paths.maxHops: %d, want 1 to 64", lineOf(root, "paths", "maxHops"), p.Paths.MaxHops))
	}
	if p.Paths.Limit < 1 || p.Paths.Limit > 1000 {
		errs = append(errs, fmt.Errorf("line %d: paths.limit: %d, want 1 to 1000", lineOf(root, "paths", "limit"), p.Paths.Limit))
	}
	return errors.Join(errs...)
}

func joinPath(p []string) string {
	var b bytes.Buffer
	for i, s := range p {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s)
	}
	return b.String()
}

// lineOf returns the line of the key at path in a parsed YAML document, or 0
// when the key is not in the document (a default value).
func lineOf(root *yaml.Node, path ...string) int {
	if root == nil {
		return 0
	}
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := 0
	for _, key := range path {
		if n.Kind != yaml.MappingNode {
			return line
		}
		found := false
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				line = n.Content[i].Line
				n = n.Content[i+1]
				found = true
				break
			}
		}
		if !found {
			return line
		}
	}
	return line
}

func sortedKeys[K ~string, V any](m map[K]V) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
