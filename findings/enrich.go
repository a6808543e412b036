package findings

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// KEV is the CISA Known Exploited Vulnerabilities catalog: CVE id → date
// added.
type KEV map[string]string

// EPSS holds FIRST EPSS scores: CVE id → probability and percentile.
type EPSS map[string]EPSSScore

// EPSSScore is one row of the EPSS CSV.
type EPSSScore struct {
	Probability float64
	Percentile  float64
}

// LoadKEV reads the CISA KEV catalog JSON (the official
// known_exploited_vulnerabilities.json with its catalog wrapper, or a bare
// array of entries as some mirrors ship it).
func LoadKEV(file string) (KEV, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return ParseKEV(file, data)
}

type kevEntry struct {
	CVEID     string `json:"cveID"`
	DateAdded string `json:"dateAdded"`
}

// ParseKEV parses KEV catalog bytes; file names the input in errors.
func ParseKEV(file string, data []byte) (KEV, error) {
	var entries []kevEntry
	path := "$"
	if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '[' {
		if err := decodeJSON(file, data, &entries); err != nil {
			return nil, err
		}
	} else {
		var doc struct {
			Vulnerabilities *[]kevEntry `json:"vulnerabilities"`
		}
		if err := decodeJSON(file, data, &doc); err != nil {
			return nil, err
		}
		if doc.Vulnerabilities == nil {
			return nil, fieldError(file, data, "$.vulnerabilities", "is missing (want the CISA KEV catalog: {\"vulnerabilities\": [{\"cveID\": …}]})")
		}
		entries = *doc.Vulnerabilities
		path = "$.vulnerabilities"
	}
	kev := make(KEV, len(entries))
	for i, e := range entries {
		id := strings.ToUpper(strings.TrimSpace(e.CVEID))
		if !cveRe.MatchString(id) {
			return nil, fieldError(file, data, fmt.Sprintf("%s[%d].cveID", path, i), "%q is not a CVE id", e.CVEID)
		}
		kev[id] = e.DateAdded
	}
	return kev, nil
}

// LoadEPSS reads a FIRST EPSS CSV (epss_scores-YYYY-MM-DD.csv, optionally
// with its leading "#model_version…" comment line).
func LoadEPSS(file string) (EPSS, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseEPSS(file, f)
}

// ParseEPSS parses EPSS CSV from r; file names the input in errors.
func ParseEPSS(file string, r io.Reader) (EPSS, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &FileError{File: file, Msg: "is empty (want an EPSS CSV with header cve,epss,percentile)"}
		}
		return nil, &FileError{File: file, Line: 1, Msg: err.Error()}
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	ci, ok1 := col["cve"]
	ei, ok2 := col["epss"]
	pi, ok3 := col["percentile"]
	if !ok1 || !ok2 {
		line, _ := cr.FieldPos(0)
		return nil, &FileError{File: file, Line: line, Col: 1, Msg: fmt.Sprintf("header %q: want columns cve,epss,percentile", strings.Join(header, ","))}
	}
	out := EPSS{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, &FileError{File: file, Msg: err.Error()}
		}
		line, _ := cr.FieldPos(0)
		if len(rec) <= ci || len(rec) <= ei {
			return nil, &FileError{File: file, Line: line, Col: 1, Msg: fmt.Sprintf("%d fields, want at least %d", len(rec), max(ci, ei)+1)}
		}
		p, ok := parseFloat(rec[ei])
		if !ok || p < 0 || p > 1 {
			return nil, &FileError{File: file, Line: line, Msg: fmt.Sprintf("epss %q: want a probability between 0 and 1", rec[ei])}
		}
		s := EPSSScore{Probability: p}
		if ok3 && len(rec) > pi {
			if pc, ok := parseFloat(rec[pi]); ok {
				s.Percentile = pc
			}
		}
		out[strings.ToUpper(strings.TrimSpace(rec[ci]))] = s
	}
	return out, nil
}
