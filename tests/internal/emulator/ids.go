package emulator

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// randomHex returns n random lowercase hex digits.
func randomHex(n int) string {
	const digits = "0123456789abcdef"
	var b strings.Builder
	for range n {
		b.WriteByte(digits[rand.IntN(16)])
	}
	return b.String()
}

// randomDigits returns n random decimal digits, the first non-zero.
func randomDigits(n int) string {
	var b strings.Builder
	b.WriteByte(byte('1' + rand.IntN(9)))
	for range n - 1 {
		b.WriteByte(byte('0' + rand.IntN(10)))
	}
	return b.String()
}

// randomUUID returns a random version-4 UUID, the shape of AWS request ids too.
func randomUUID() string {
	h := randomHex(32)
	return h[0:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:32]
}

// newDeploymentID returns a CodeDeploy deployment id: "d-" and nine upper-case letters/digits.
func newDeploymentID() string {
	const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	var b strings.Builder
	b.WriteString("d-")
	for range 9 {
		b.WriteByte(chars[rand.IntN(len(chars))])
	}
	return b.String()
}

// arn builds arn:aws:<service>:<region>:<account>:<resource>.
func (e *Emulator) arn(service, resource string) string {
	return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, e.region, e.account, resource)
}

// arnResource returns the resource part of an ARN (after the fifth colon), or s itself.
func arnResource(s string) string {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) == 6 && parts[0] == "arn" {
		return parts[5]
	}
	return s
}
