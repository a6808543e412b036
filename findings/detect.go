package findings

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// ParseFile reads and parses one scanner output file.
func ParseFile(file string) (*Report, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return Parse(file, data)
}

// Parse detects the format of data from its content and parses it. file
// names the input in errors. Errors are *FileError, naming the JSON path and
// line of the problem.
func Parse(file string, data []byte) (*Report, error) {
	format, err := Detect(file, data)
	if err != nil {
		return nil, err
	}
	switch format {
	case FormatSARIF:
		return parseSARIF(file, data)
	case FormatGrype:
		return parseGrype(file, data)
	case FormatTrivy:
		return parseTrivy(file, data)
	case FormatOSV:
		return parseOSV(file, data)
	default:
		return parseCycloneDX(file, data)
	}
}

// Detect tells the format of a scanner output from its top-level keys.
func Detect(file string, data []byte) (Format, error) {
	trimmed := bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
	if len(trimmed) == 0 {
		return "", &FileError{File: file, Msg: "is empty (want SARIF, Grype, Trivy, OSV-Scanner or CycloneDX JSON)"}
	}
	if trimmed[0] == '<' {
		head := trimmed[:min(len(trimmed), 4096)]
		if bytes.Contains(head, []byte("cyclonedx.org/schema/bom")) || bytes.Contains(head, []byte("<bom ")) || bytes.Contains(head, []byte("<bom>")) {
			return FormatCycloneDX, nil
		}
		return "", &FileError{File: file, Line: 1, Col: 1, Msg: "unknown format: XML that is not a CycloneDX BOM (want SARIF, Grype, Trivy, OSV-Scanner or CycloneDX)"}
	}
	if trimmed[0] == '[' {
		// Trivy before schema 2 wrote a bare list of results.
		var first []map[string]json.RawMessage
		if err := json.Unmarshal(trimmed, &first); err != nil {
			return "", jsonError(file, data, err)
		}
		if len(first) == 0 || first[0]["Target"] != nil {
			return FormatTrivy, nil
		}
		return "", fieldError(file, data, "$[0]", "unknown format: a JSON array whose elements have no Target (want a legacy Trivy result list)")
	}
	top, ok := topLevel(trimmed)
	if !ok {
		var v any
		if err := json.Unmarshal(trimmed, &v); err != nil {
			return "", jsonError(file, data, err)
		}
		return "", &FileError{File: file, Path: "$", Msg: "unknown format: not a JSON object (want SARIF, Grype, Trivy, OSV-Scanner or CycloneDX JSON)"}
	}
	has := func(k string) bool { _, ok := top[k]; return ok }
	switch {
	case has("runs") && (has("version") || has("$schema")):
		return FormatSARIF, nil
	case has("version") && strings.Contains(string(top["$schema"]), "sarif"):
		return FormatSARIF, nil
	case string(top["bomFormat"]) == "CycloneDX":
		return FormatCycloneDX, nil
	case has("matches") && (has("source") || has("descriptor")) || has("matches") && len(top) <= 4:
		return FormatGrype, nil
	case has("SchemaVersion") || has("ArtifactName") || has("ClusterName") || has("Results"):
		return FormatTrivy, nil
	case has("results") && (has("experimental_config") || bytes.Contains(trimmed, []byte(`"packages"`)) || len(top) == 1):
		return FormatOSV, nil
	}
	keys := make([]string, 0, len(top))
	for k := range top {
		keys = append(keys, k)
	}
	return "", &FileError{File: file, Path: "$", Msg: fmt.Sprintf("unknown format: top-level keys %v (want SARIF runs, Grype matches, Trivy Results, OSV-Scanner results or a CycloneDX bomFormat)", keys)}
}

// topLevel lists the keys of a JSON object with the values of its
// top-level string members, by scanning bytes (no decoding): detection must
// not cost a full parse of a large report. ok is false when data is not an
// object.
func topLevel(data []byte) (map[string]string, bool) {
	if len(data) == 0 || data[0] != '{' {
		return nil, false
	}
	out := map[string]string{}
	depth := 0
	expectKey := false
	key := ""
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch c {
		case '"':
			j := i + 1
			for j < len(data) && data[j] != '"' {
				if data[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(data) {
				return out, true
			}
			if depth == 1 {
				s := string(data[i+1 : j])
				if expectKey {
					key, expectKey = s, false
					out[key] = ""
				} else if key != "" {
					out[key] = s
				}
			}
			i = j
		case '{', '[':
			depth++
			if depth == 1 {
				expectKey = true
			}
		case '}', ']':
			depth--
			if depth == 0 {
				return out, true
			}
		case ',':
			if depth == 1 {
				expectKey = true
			}
		}
	}
	return out, true
}
