package infra

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"gopkg.in/yaml.v3"
)

// ReadStackConfig reads a stack file (Pulumi.<stack>.yaml) into the configuration map a Pulumi program
// receives: full keys ("ai-bluegreen:image", "aws:region"), scalars as their text, objects and lists
// JSON-encoded as the Pulumi CLI passes them. Plan tests and the emulator provisioning feed the result
// to WithConfig, so they run the program with exactly the stack's values. Secrets (secure:) are refused:
// they can't be decrypted without the CLI.
func ReadStackConfig(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read stack config: %w", err)
	}
	var doc struct {
		Config map[string]yaml.Node `yaml:"config"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("parse stack config %s: %w", path, err)
	}
	out := make(map[string]string, len(doc.Config))
	for key, node := range doc.Config {
		full := key
		if !strings.Contains(key, ":") {
			full = Project + ":" + key
		}
		value, err := configValue(&node)
		if err != nil {
			return nil, fmt.Errorf("stack config %s: key %s: %w", path, full, err)
		}
		if value != nil {
			out[full] = *value
		}
	}
	return out, nil
}

// configValue renders one stack-file value the way the CLI hands it to the program; nil means null.
func configValue(node *yaml.Node) (*string, error) {
	if node.Kind == yaml.ScalarNode {
		if node.Tag == "!!null" {
			return nil, nil
		}
		return &node.Value, nil
	}
	var v any
	if err := node.Decode(&v); err != nil {
		return nil, err
	}
	if containsSecure(v) {
		return nil, fmt.Errorf("secure values can't be read without the Pulumi CLI")
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	s := string(b)
	return &s, nil
}

func containsSecure(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		if _, ok := x["secure"]; ok && len(x) == 1 {
			return true
		}
		for _, e := range x {
			if containsSecure(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if containsSecure(e) {
				return true
			}
		}
	}
	return false
}

// WithConfig is a RunOption that gives the program this configuration (as ReadStackConfig returns it).
// It sets RunInfo.Config directly instead of PULUMI_CONFIG, so tests using it can run in parallel.
func WithConfig(config map[string]string) pulumi.RunOption {
	return func(info *pulumi.RunInfo) {
		info.Config = config
	}
}
