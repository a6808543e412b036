package all

import "github.com/riskgraph/riskgraph/discovery/exposure"

func init() { linkers = append(linkers, exposure.Linker{}) }
