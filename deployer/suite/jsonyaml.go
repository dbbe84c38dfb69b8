package suite

import (
	"bytes"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// yamlReadableJSON rewrites what a YAML parser refuses in a valid JSON document,
// all inside strings: the escape \/ (PHP's json_encode writes it), surrogate pairs
// such as \ud83d\ude00 (Python's json.dumps writes every character outside the
// BMP so), lone surrogates (encoding/json reads them as U+FFFD), and raw characters
// YAML does not read as themselves (DEL, C1 controls, line separators). Nothing else moves, so a YAML error's line
// number still points into the file.
func yamlReadableJSON(data []byte) []byte {
	var out bytes.Buffer
	out.Grow(len(data))
	inString := false
	for i := 0; i < len(data); {
		c := data[i]
		switch {
		case !inString:
			inString = c == '"'
			out.WriteByte(c)
			i++
		case c == '"':
			inString = false
			out.WriteByte(c)
			i++
		case c == '\\':
			i += writeYAMLEscape(&out, data[i:])
		default:
			r, n := utf8.DecodeRune(data[i:])
			if yamlReadsRaw(r) || r == utf8.RuneError && n == 1 {
				out.Write(data[i : i+n])
			} else {
				fmt.Fprintf(&out, `\u%04X`, r)
			}
			i += n
		}
	}
	return out.Bytes()
}

// writeYAMLEscape writes the JSON escape at the start of s as YAML reads it and
// returns how many bytes of s it took.
func writeYAMLEscape(out *bytes.Buffer, s []byte) int {
	switch {
	case s[1] == '/':
		out.WriteByte('/')
		return 2
	case s[1] != 'u':
		out.Write(s[:2])
		return 2
	}
	r := hexRune(s[2:6])
	if !utf16.IsSurrogate(r) {
		out.Write(s[:6])
		return 6
	}
	if len(s) >= 12 && s[6] == '\\' && s[7] == 'u' {
		if pair := utf16.DecodeRune(r, hexRune(s[8:12])); pair != utf8.RuneError {
			fmt.Fprintf(out, `\U%08X`, pair)
			return 12
		}
	}
	out.WriteString(`\uFFFD`)
	return 6
}

func hexRune(h []byte) rune {
	n, _ := strconv.ParseUint(string(h), 16, 32) // valid JSON: four hex digits
	return rune(n)
}

// yamlReadsRaw reports whether YAML reads r, written raw in a double-quoted scalar,
// as itself: it is printable (no DEL, no C1 control, no U+FFFE/U+FFFF) and breaks
// no line (YAML breaks lines at NEL, LS and PS too).
func yamlReadsRaw(r rune) bool {
	switch {
	case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
		return false
	case r == 0x2028 || r == 0x2029 || r == 0xfffe || r == 0xffff:
		return false
	}
	return true
}
