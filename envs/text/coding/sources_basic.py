"""Author-written task sources, part 1: strings, lists and numbers (difficulty 1-2).

Each entry is `task(id, difficulty, signature, statement, reference, visible, heldout)`;
`build_bank` runs the reference on the arguments to fill in the expected values, so the
JSONL bank never disagrees with the reference solution.
"""

from __future__ import annotations

from specgym.envs.text.coding.spec import args1, task

TASKS = [
    task(
        "reverse_words", 1, "reverse_words(s: str) -> str",
        "Return the words of `s` (split on any whitespace) in reverse order, joined by single "
        "spaces. An empty or all-space string gives an empty string.",
        """
def reverse_words(s):
    return " ".join(reversed(s.split()))
""",
        args1("hello world", "one", "a b c"),
        args1("  leading and trailing  ", "", "x\ty\nz", "the quick brown fox", "   "),
    ),
    task(
        "count_vowels", 1, "count_vowels(s: str) -> int",
        "Count the vowels (a, e, i, o, u, in either case) in `s`. `y` is not a vowel.",
        """
def count_vowels(s):
    return sum(1 for c in s.lower() if c in "aeiou")
""",
        args1("hello", "sky", "AEIOU"),
        args1("", "Rhythm and Blues", "queueing", "xyz", "Umbrella OCEAN"),
    ),
    task(
        "is_palindrome", 1, "is_palindrome(s: str) -> bool",
        "Return True if `s` reads the same forwards and backwards when only letters and digits "
        "are kept and case is ignored. The empty string is a palindrome.",
        """
def is_palindrome(s):
    kept = [c.lower() for c in s if c.isalnum()]
    return kept == kept[::-1]
""",
        args1("racecar", "hello", "A man, a plan, a canal: Panama"),
        args1("", "ab", "No 'x' in Nixon", "12321", "123 421", "Was it a car?"),
    ),
    task(
        "fizzbuzz", 1, "fizzbuzz(n: int) -> list[str]",
        "Return the list of strings for 1..n: 'Fizz' for multiples of 3, 'Buzz' for multiples "
        "of 5, 'FizzBuzz' for multiples of both, otherwise the number as a string. n=0 gives [].",
        """
def fizzbuzz(n):
    out = []
    for i in range(1, n + 1):
        word = ("Fizz" if i % 3 == 0 else "") + ("Buzz" if i % 5 == 0 else "")
        out.append(word or str(i))
    return out
""",
        args1(3, 5, 1),
        args1(0, 15, 16, 10, 31),
    ),
    task(
        "sum_of_digits", 1, "sum_of_digits(n: int) -> int",
        "Return the sum of the decimal digits of `n`; the sign of a negative `n` is ignored.",
        """
def sum_of_digits(n):
    return sum(int(c) for c in str(abs(n)))
""",
        args1(123, 0, 9),
        args1(-456, 1000001, 99999, -7, 5050),
    ),
    task(
        "capitalize_words", 1, "capitalize_words(s: str) -> str",
        "Upper-case the first letter of every space-separated word and lower-case the rest. "
        "Spaces are kept exactly as they are (runs of spaces stay runs of spaces).",
        """
def capitalize_words(s):
    return " ".join(w[:1].upper() + w[1:].lower() for w in s.split(" "))
""",
        args1("hello world", "PYTHON", "a"),
        args1("", "  two  spaces ", "mIxEd CaSe words", "x y z", "123abc def"),
    ),
    task(
        "largest", 1, "largest(xs: list[int]) -> int",
        "Return the largest element of the non-empty list `xs`.",
        """
def largest(xs):
    best = xs[0]
    for x in xs[1:]:
        if x > best:
            best = x
    return best
""",
        args1([1, 5, 3], [7], [2, 2]),
        args1([-5, -2, -9], [0, -1], [3, 9, 9, 1], [100, 99, 101, 98], [-1]),
    ),
    task(
        "second_largest", 1, "second_largest(xs: list[int]) -> int",
        "Return the second largest *distinct* value in `xs`. `xs` always holds at least two "
        "distinct values.",
        """
def second_largest(xs):
    return sorted(set(xs))[-2]
""",
        args1([1, 2, 3], [5, 1], [4, 4, 2]),
        args1([9, 9, 9, 1], [-1, -2, -3], [3, 1, 3, 2, 3], [0, 100], [7, 7, 6, 6, 5]),
    ),
    task(
        "factorial", 1, "factorial(n: int) -> int",
        "Return n! for n >= 0 (0! = 1).",
        """
def factorial(n):
    out = 1
    for i in range(2, n + 1):
        out *= i
    return out
""",
        args1(0, 3, 5),
        args1(1, 10, 20, 2, 12),
    ),
    task(
        "fibonacci", 1, "fibonacci(n: int) -> int",
        "Return the n-th Fibonacci number with fibonacci(0) = 0 and fibonacci(1) = 1. n may be "
        "as large as 90, so the function must not be exponential.",
        """
def fibonacci(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a
""",
        args1(0, 1, 7),
        args1(2, 10, 30, 50, 90),
    ),
    task(
        "gcd", 1, "gcd(a: int, b: int) -> int",
        "Return the greatest common divisor of `a` and `b` (always >= 0). gcd(0, 0) is 0; signs "
        "are ignored.",
        """
def gcd(a, b):
    a, b = abs(a), abs(b)
    while b:
        a, b = b, a % b
    return a
""",
        [(12, 18), (7, 5), (0, 9)],
        [(0, 0), (-12, 18), (100, 75), (17, 17), (270, -192)],
    ),
    task(
        "lcm", 1, "lcm(a: int, b: int) -> int",
        "Return the least common multiple of two positive integers.",
        """
def lcm(a, b):
    x, y = a, b
    while y:
        x, y = y, x % y
    return a // x * b
""",
        [(4, 6), (3, 5), (7, 7)],
        [(1, 9), (12, 18), (21, 6), (13, 17), (100, 40)],
    ),
    task(
        "is_prime", 1, "is_prime(n: int) -> bool",
        "Return True if `n` is a prime number. Numbers below 2 (including negatives) are not "
        "prime.",
        """
def is_prime(n):
    if n < 2:
        return False
    i = 2
    while i * i <= n:
        if n % i == 0:
            return False
        i += 1
    return True
""",
        args1(2, 9, 13),
        args1(1, 0, -7, 97, 91, 7919, 25),
    ),
    task(
        "primes_up_to", 2, "primes_up_to(n: int) -> list[int]",
        "Return all primes p with 2 <= p <= n, ascending.",
        """
def primes_up_to(n):
    if n < 2:
        return []
    sieve = [True] * (n + 1)
    sieve[0] = sieve[1] = False
    for i in range(2, int(n ** 0.5) + 1):
        if sieve[i]:
            for j in range(i * i, n + 1, i):
                sieve[j] = False
    return [i for i, ok in enumerate(sieve) if ok]
""",
        args1(10, 2, 1),
        args1(0, 30, 3, 50, 100),
    ),
    task(
        "count_words", 1, "count_words(s: str) -> int",
        "Return the number of whitespace-separated words in `s`.",
        """
def count_words(s):
    return len(s.split())
""",
        args1("hello world", "one", "a b  c"),
        args1("", "   ", "tab\tseparated\nlines here", " lead", "x y z w v"),
    ),
    task(
        "char_frequency", 1, "char_frequency(s: str) -> dict[str, int]",
        "Return a dict mapping each character of `s` to how many times it occurs (case "
        "sensitive, spaces included).",
        """
def char_frequency(s):
    out = {}
    for c in s:
        out[c] = out.get(c, 0) + 1
    return out
""",
        args1("aab", "", "abc"),
        args1("Hello World", "zzz", "a a", "AaAa", "112233"),
    ),
    task(
        "remove_duplicates", 1, "remove_duplicates(xs: list[int]) -> list[int]",
        "Return `xs` without repeated values, keeping the first occurrence of each, in order.",
        """
def remove_duplicates(xs):
    seen = set()
    out = []
    for x in xs:
        if x not in seen:
            seen.add(x)
            out.append(x)
    return out
""",
        args1([1, 2, 1, 3], [], [5, 5, 5]),
        args1([3, 2, 1, 2, 3], [0], [-1, 1, -1, 1], [9, 8, 7], [4, 4, 5, 4, 6, 5]),
    ),
    task(
        "flatten", 2, "flatten(xs: list) -> list[int]",
        "Flatten an arbitrarily nested list of integers into a flat list, keeping left-to-right "
        "order. Empty inner lists contribute nothing.",
        """
def flatten(xs):
    out = []
    for x in xs:
        if isinstance(x, list):
            out.extend(flatten(x))
        else:
            out.append(x)
    return out
""",
        args1([1, [2, 3]], [], [[1], [2]]),
        args1([[[[]]]], [1, [2, [3, [4, [5]]]]], [[], 1, []], [0, [0, [0]]], [[1, 2], 3, [[4]]]),
    ),
    task(
        "chunk", 1, "chunk(xs: list[int], n: int) -> list[list[int]]",
        "Split `xs` into consecutive chunks of length `n` (n >= 1); the last chunk may be "
        "shorter.",
        """
def chunk(xs, n):
    return [xs[i:i + n] for i in range(0, len(xs), n)]
""",
        [([1, 2, 3, 4], 2), ([1, 2, 3], 5), ([], 3)],
        [([1, 2, 3, 4, 5], 2), ([1], 1), ([1, 2, 3, 4, 5, 6, 7], 3), ([9, 8], 1), ([5] * 4, 4)],
    ),
    task(
        "rotate_right", 1, "rotate_right(xs: list[int], k: int) -> list[int]",
        "Rotate `xs` to the right by `k` places (k >= 0, possibly larger than len(xs)). An "
        "empty list stays empty.",
        """
def rotate_right(xs, k):
    if not xs:
        return []
    k %= len(xs)
    return xs[-k:] + xs[:-k] if k else list(xs)
""",
        [([1, 2, 3, 4], 1), ([1, 2, 3], 0), ([1, 2], 2)],
        [([], 5), ([1, 2, 3, 4, 5], 7), ([9], 100), ([1, 2, 3], 2), ([4, 5, 6, 7], 3)],
    ),
    task(
        "merge_sorted", 2, "merge_sorted(a: list[int], b: list[int]) -> list[int]",
        "Merge two ascending lists into one ascending list (duplicates kept).",
        """
def merge_sorted(a, b):
    i = j = 0
    out = []
    while i < len(a) and j < len(b):
        if a[i] <= b[j]:
            out.append(a[i])
            i += 1
        else:
            out.append(b[j])
            j += 1
    return out + a[i:] + b[j:]
""",
        [([1, 3], [2, 4]), ([], [1]), ([1, 1], [1])],
        [([], []), ([5, 6, 7], [1, 2]), ([-3, 0, 9], [-5, 0, 10]), ([2], [1, 2, 3]),
         ([1, 4, 9], [2, 3, 10, 11])],
    ),
    task(
        "binary_search", 2, "binary_search(xs: list[int], target: int) -> int",
        "Return the index of `target` in the ascending list `xs` of distinct integers, or -1 if "
        "it is absent.",
        """
def binary_search(xs, target):
    lo, hi = 0, len(xs) - 1
    while lo <= hi:
        mid = (lo + hi) // 2
        if xs[mid] == target:
            return mid
        if xs[mid] < target:
            lo = mid + 1
        else:
            hi = mid - 1
    return -1
""",
        [([1, 3, 5, 7], 5), ([1, 3, 5], 4), ([], 1)],
        [([2], 2), ([2], 3), ([1, 2, 3, 4, 5, 6], 6), ([-9, -4, 0, 8], -9),
         (list(range(0, 100, 3)), 51)],
    ),
    task(
        "run_length_encode", 2, "run_length_encode(s: str) -> str",
        "Encode `s` as runs: each maximal run of one character becomes the character followed by "
        "the run length, e.g. 'aaabcc' -> 'a3b1c2'. The empty string encodes to ''.",
        """
def run_length_encode(s):
    out = []
    i = 0
    while i < len(s):
        j = i
        while j < len(s) and s[j] == s[i]:
            j += 1
        out.append(s[i] + str(j - i))
        i = j
    return "".join(out)
""",
        args1("aaabcc", "a", "abc"),
        args1("", "zzzzzzzzzzzz", "aabbaa", "  x", "abbccc"),
    ),
    task(
        "run_length_decode", 2, "run_length_decode(s: str) -> str",
        "Decode a run-length string made of (letter, count) pairs, where the count may have "
        "several digits: 'a3b1c12' -> 'aaab' + 'c' * 12.",
        """
def run_length_decode(s):
    out = []
    i = 0
    while i < len(s):
        ch = s[i]
        j = i + 1
        while j < len(s) and s[j].isdigit():
            j += 1
        out.append(ch * int(s[i + 1:j]))
        i = j
    return "".join(out)
""",
        args1("a3b1", "x1", "a2"),
        args1("", "c12", "a1b1c1", "z10y2", "q3w0e1"),
    ),
    task(
        "caesar_cipher", 2, "caesar_cipher(s: str, k: int) -> str",
        "Shift every ASCII letter of `s` forward by `k` places in the alphabet, wrapping around "
        "and keeping case; other characters are unchanged. `k` may be negative or over 26.",
        """
def caesar_cipher(s, k):
    out = []
    for c in s:
        if "a" <= c <= "z":
            out.append(chr((ord(c) - 97 + k) % 26 + 97))
        elif "A" <= c <= "Z":
            out.append(chr((ord(c) - 65 + k) % 26 + 65))
        else:
            out.append(c)
    return "".join(out)
""",
        [("abc", 1), ("xyz", 3), ("Hi", 0)],
        [("Hello, World!", 13), ("abc", -1), ("Zebra", 52), ("", 5), ("Mixed 123 case", 27)],
    ),
    task(
        "is_anagram", 1, "is_anagram(a: str, b: str) -> bool",
        "Return True if `a` and `b` use the same letters the same number of times, ignoring "
        "spaces and case.",
        """
def is_anagram(a, b):
    def key(s):
        return sorted(c.lower() for c in s if c != " ")
    return key(a) == key(b)
""",
        [("listen", "silent"), ("abc", "abd"), ("Dormitory", "dirty room")],
        [("", ""), ("a", "A"), ("aab", "abb"), ("The eyes", "They see"), ("abc", "abcc")],
    ),
    task(
        "roman_to_int", 2, "roman_to_int(s: str) -> int",
        "Convert a valid Roman numeral (I, V, X, L, C, D, M, with subtractive pairs such as IV "
        "and CM) to an integer.",
        """
def roman_to_int(s):
    vals = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
    total = 0
    for i, c in enumerate(s):
        v = vals[c]
        if i + 1 < len(s) and vals[s[i + 1]] > v:
            total -= v
        else:
            total += v
    return total
""",
        args1("III", "IV", "XII"),
        args1("MCMXCIV", "XL", "CDXLIV", "MMMCMXCIX", "LVIII"),
    ),
    task(
        "int_to_roman", 2, "int_to_roman(n: int) -> str",
        "Convert 1 <= n <= 3999 to a Roman numeral using subtractive notation (4 = IV, 9 = IX, "
        "40 = XL, 90 = XC, 400 = CD, 900 = CM).",
        """
def int_to_roman(n):
    table = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
             (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]
    out = []
    for value, sym in table:
        while n >= value:
            out.append(sym)
            n -= value
    return "".join(out)
""",
        args1(3, 4, 10),
        args1(1994, 3999, 444, 58, 90),
    ),
    task(
        "balanced_brackets", 2, "balanced_brackets(s: str) -> bool",
        "Return True if the brackets (), [] and {} in `s` are balanced and properly nested; other "
        "characters are ignored.",
        """
def balanced_brackets(s):
    pairs = {")": "(", "]": "[", "}": "{"}
    stack = []
    for c in s:
        if c in "([{":
            stack.append(c)
        elif c in pairs:
            if not stack or stack.pop() != pairs[c]:
                return False
    return not stack
""",
        args1("()", "(]", "{[a]}"),
        args1("", "(((", "([)]", "f(x[1]) { y }", "}{", "(()())[]{}"),
    ),
    task(
        "longest_common_prefix", 2, "longest_common_prefix(words: list[str]) -> str",
        "Return the longest string that is a prefix of every word in `words`; an empty list "
        "gives ''.",
        """
def longest_common_prefix(words):
    if not words:
        return ""
    prefix = words[0]
    for w in words[1:]:
        while not w.startswith(prefix):
            prefix = prefix[:-1]
    return prefix
""",
        args1(["flower", "flow", "flight"], ["dog", "car"], ["same"]),
        args1([], ["", "abc"], ["interview", "internet", "interval"], ["ab", "abc", "abcd"],
              ["x", "x", "x"]),
    ),
    task(
        "snake_to_camel", 1, "snake_to_camel(s: str) -> str",
        "Convert snake_case to camelCase: 'hello_big_world' -> 'helloBigWorld'. Empty parts "
        "from repeated or edge underscores are dropped.",
        """
def snake_to_camel(s):
    parts = [p for p in s.split("_") if p]
    if not parts:
        return ""
    return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])
""",
        args1("hello_world", "x", "a_b_c"),
        args1("", "__double__under", "already", "one_two_three_four", "_lead"),
    ),
    task(
        "camel_to_snake", 2, "camel_to_snake(s: str) -> str",
        "Convert camelCase or PascalCase to snake_case: insert '_' before every upper-case letter "
        "that is not the first character, then lower-case everything.",
        """
def camel_to_snake(s):
    out = []
    for i, c in enumerate(s):
        if c.isupper() and i > 0:
            out.append("_")
        out.append(c.lower())
    return "".join(out)
""",
        args1("helloWorld", "x", "HelloWorld"),
        args1("", "getHTTPResponse", "a", "camelCaseString", "ABC"),
    ),
    task(
        "word_lengths", 1, "word_lengths(s: str) -> list[int]",
        "Return the length of each whitespace-separated word in `s`, in order.",
        """
def word_lengths(s):
    return [len(w) for w in s.split()]
""",
        args1("hi there", "", "a bb ccc"),
        args1("   ", "supercalifragilistic", "one  two\tthree", "x", "ab cd ef gh"),
    ),
    task(
        "count_overlapping", 2, "count_overlapping(s: str, sub: str) -> int",
        "Count the occurrences of the non-empty string `sub` in `s`, overlaps included: "
        "count_overlapping('aaaa', 'aa') == 3.",
        """
def count_overlapping(s, sub):
    return sum(1 for i in range(len(s) - len(sub) + 1) if s[i:i + len(sub)] == sub)
""",
        [("aaaa", "aa"), ("abc", "d"), ("abab", "ab")],
        [("", "a"), ("aaaaa", "aaa"), ("mississippi", "issi"), ("abc", "abcd"), ("xxxx", "x")],
    ),
    task(
        "transpose", 1, "transpose(m: list[list[int]]) -> list[list[int]]",
        "Return the transpose of the rectangular matrix `m` (a list of rows). An empty matrix "
        "gives [].",
        """
def transpose(m):
    if not m:
        return []
    return [[row[j] for row in m] for j in range(len(m[0]))]
""",
        args1([[1, 2], [3, 4]], [[1, 2, 3]], [[5]]),
        args1([], [[1], [2], [3]], [[1, 2, 3], [4, 5, 6]], [[0, 0], [0, 1], [1, 0]], [[7, 8]]),
    ),
    task(
        "matrix_multiply", 2, "matrix_multiply(a: list[list[int]], b: list[list[int]]) -> "
        "list[list[int]]",
        "Return the matrix product a x b; the shapes always agree.",
        """
def matrix_multiply(a, b):
    return [[sum(a[i][k] * b[k][j] for k in range(len(b))) for j in range(len(b[0]))]
            for i in range(len(a))]
""",
        [([[1, 2], [3, 4]], [[5, 6], [7, 8]]), ([[2]], [[3]]), ([[1, 0], [0, 1]], [[9, 8], [7, 6]])],
        [([[1, 2, 3]], [[1], [2], [3]]), ([[1], [2]], [[3, 4]]),
         ([[0, -1], [1, 0]], [[0, -1], [1, 0]]), ([[2, 0], [0, 2]], [[1, 1], [1, 1]]),
         ([[1, 2], [3, 4], [5, 6]], [[1, 0, 1], [0, 1, 1]])],
    ),
    task(
        "pascal_row", 2, "pascal_row(n: int) -> list[int]",
        "Return row `n` (0-indexed) of Pascal's triangle: pascal_row(0) == [1], "
        "pascal_row(2) == [1, 2, 1].",
        """
def pascal_row(n):
    row = [1]
    for _ in range(n):
        row = [1] + [row[i] + row[i + 1] for i in range(len(row) - 1)] + [1]
    return row
""",
        args1(0, 1, 2),
        args1(3, 5, 10, 4, 20),
    ),
    task(
        "digital_root", 1, "digital_root(n: int) -> int",
        "Repeatedly sum the decimal digits of n >= 0 until a single digit remains; return it.",
        """
def digital_root(n):
    while n >= 10:
        n = sum(int(c) for c in str(n))
    return n
""",
        args1(16, 0, 5),
        args1(942, 132189, 493193, 10, 999999999999),
    ),
    task(
        "to_binary", 1, "to_binary(n: int) -> str",
        "Return the binary representation of n >= 0 without a '0b' prefix; 0 gives '0'.",
        """
def to_binary(n):
    if n == 0:
        return "0"
    bits = []
    while n:
        bits.append(str(n % 2))
        n //= 2
    return "".join(reversed(bits))
""",
        args1(5, 0, 1),
        args1(2, 255, 256, 1023, 10),
    ),
    task(
        "from_binary", 1, "from_binary(s: str) -> int",
        "Parse a non-empty string of '0' and '1' characters as a binary number.",
        """
def from_binary(s):
    value = 0
    for c in s:
        value = value * 2 + (c == "1")
    return value
""",
        args1("101", "0", "1"),
        args1("11111111", "0001", "100000000", "1010", "000"),
    ),
    task(
        "parse_kv", 2, "parse_kv(s: str) -> dict[str, int]",
        "Parse 'key=value' pairs separated by ';' into a dict with integer values. Whitespace "
        "around keys and values is stripped, empty pairs are skipped, and a later key "
        "overrides an earlier one.",
        """
def parse_kv(s):
    out = {}
    for part in s.split(";"):
        if not part.strip():
            continue
        key, value = part.split("=", 1)
        out[key.strip()] = int(value.strip())
    return out
""",
        args1("a=1;b=2", "x=10", "a=1;a=2"),
        args1("", " k = 7 ; j=-3 ", ";;a=1;;", "n=0;m=00", "long_key=12345"),
    ),
    task(
        "running_sum", 1, "running_sum(xs: list[int]) -> list[int]",
        "Return the prefix sums of `xs`: out[i] = xs[0] + ... + xs[i].",
        """
def running_sum(xs):
    out, total = [], 0
    for x in xs:
        total += x
        out.append(total)
    return out
""",
        args1([1, 2, 3], [], [5]),
        args1([-1, 1, -1, 1], [0, 0, 0], [10, -20, 30], [1] * 6, [3, 1, 4, 1, 5]),
    ),
    task(
        "pairwise_diff", 1, "pairwise_diff(xs: list[int]) -> list[int]",
        "Return [xs[1]-xs[0], xs[2]-xs[1], ...]; lists shorter than 2 give [].",
        """
def pairwise_diff(xs):
    return [b - a for a, b in zip(xs, xs[1:])]
""",
        args1([1, 4, 9], [5], [3, 3]),
        args1([], [10, 0, 10], [-5, -10], [1, 2, 4, 8, 16], [0, 0]),
    ),
    task(
        "mode", 1, "mode(xs: list[int]) -> int",
        "Return the most frequent value of the non-empty list `xs`; on a tie, the smallest of "
        "the tied values.",
        """
def mode(xs):
    counts = {}
    for x in xs:
        counts[x] = counts.get(x, 0) + 1
    best = max(counts.values())
    return min(x for x, c in counts.items() if c == best)
""",
        args1([1, 2, 2, 3], [4], [5, 5, 1, 1]),
        args1([3, 1, 2], [-1, -1, 2, 2, 2], [9, 8, 9, 8], [0], [7, 3, 7, 3, 3]),
    ),
    task(
        "median_odd", 1, "median_odd(xs: list[int]) -> int",
        "Return the median of a list of odd length (the middle value once sorted).",
        """
def median_odd(xs):
    return sorted(xs)[len(xs) // 2]
""",
        args1([3, 1, 2], [5], [9, 1, 5, 3, 7]),
        args1([-1, -3, -2], [2, 2, 1], [100, 0, 50, 25, 75], [4, 4, 4], [10, -10, 0]),
    ),
    task(
        "is_sorted", 1, "is_sorted(xs: list[int]) -> bool",
        "Return True if `xs` is in non-decreasing order (empty and single lists are sorted).",
        """
def is_sorted(xs):
    return all(a <= b for a, b in zip(xs, xs[1:]))
""",
        args1([1, 2, 3], [3, 1], []),
        args1([5], [1, 1, 2], [1, 2, 1], [-3, -2, -2, 0], [2, 1, 2]),
    ),
    task(
        "collatz_steps", 1, "collatz_steps(n: int) -> int",
        "Return how many Collatz steps (n -> n/2 if even, 3n+1 if odd) take n >= 1 to 1.",
        """
def collatz_steps(n):
    steps = 0
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps
""",
        args1(1, 2, 6),
        args1(7, 27, 97, 16, 3),
    ),
    task(
        "is_armstrong", 1, "is_armstrong(n: int) -> bool",
        "Return True if n >= 0 equals the sum of its digits each raised to the number of digits "
        "(e.g. 153 = 1^3 + 5^3 + 3^3).",
        """
def is_armstrong(n):
    digits = str(n)
    return n == sum(int(d) ** len(digits) for d in digits)
""",
        args1(153, 10, 9),
        args1(0, 370, 9474, 9475, 100),
    ),
    task(
        "is_perfect", 1, "is_perfect(n: int) -> bool",
        "Return True if n >= 1 equals the sum of its proper divisors (6 = 1 + 2 + 3).",
        """
def is_perfect(n):
    return n > 1 and sum(d for d in range(1, n) if n % d == 0) == n
""",
        args1(6, 8, 28),
        args1(1, 496, 12, 8128, 27),
    ),
    task(
        "sum_multiples", 1, "sum_multiples(n: int) -> int",
        "Return the sum of all natural numbers below `n` that are multiples of 3 or 5.",
        """
def sum_multiples(n):
    return sum(i for i in range(n) if i % 3 == 0 or i % 5 == 0)
""",
        args1(10, 1, 4),
        args1(0, 16, 100, 1000, 6),
    ),
    task(
        "reverse_integer", 1, "reverse_integer(n: int) -> int",
        "Reverse the decimal digits of `n`, keeping its sign; leading zeros vanish "
        "(120 -> 21, -45 -> -54).",
        """
def reverse_integer(n):
    sign = -1 if n < 0 else 1
    return sign * int(str(abs(n))[::-1])
""",
        args1(123, -45, 0),
        args1(120, -1000, 5, 1200300, -98765),
    ),
    task(
        "is_power_of_two", 1, "is_power_of_two(n: int) -> bool",
        "Return True if `n` is a positive power of two (1, 2, 4, ...).",
        """
def is_power_of_two(n):
    return n > 0 and n & (n - 1) == 0
""",
        args1(1, 6, 16),
        args1(0, -8, 1024, 1023, 2 ** 40),
    ),
    task(
        "hamming_distance", 1, "hamming_distance(a: int, b: int) -> int",
        "Return the number of bit positions in which the non-negative integers `a` and `b` "
        "differ.",
        """
def hamming_distance(a, b):
    return bin(a ^ b).count("1")
""",
        [(1, 4), (3, 3), (0, 7)],
        [(0, 0), (255, 0), (1023, 512), (12345, 54321), (8, 7)],
    ),
    task(
        "count_bits", 1, "count_bits(n: int) -> int",
        "Return the number of 1 bits in the binary representation of n >= 0.",
        """
def count_bits(n):
    return bin(n).count("1")
""",
        args1(5, 0, 8),
        args1(255, 1023, 1024, 7, 2 ** 50 - 1),
    ),
    task(
        "acronym", 1, "acronym(s: str) -> str",
        "Build an upper-case acronym from the first letter of each word; words are separated by "
        "spaces or hyphens.",
        """
def acronym(s):
    return "".join(w[0].upper() for w in s.replace("-", " ").split())
""",
        args1("portable network graphics", "as soon as possible", "x"),
        args1("", "Complementary metal-oxide semiconductor", "  spaced   out ", "a-b-c",
              "Ruby on Rails"),
    ),
    task(
        "count_letters_digits", 1, "count_letters_digits(s: str) -> list[int]",
        "Return [number of letters, number of digits] in `s` (str.isalpha / str.isdigit).",
        """
def count_letters_digits(s):
    return [sum(c.isalpha() for c in s), sum(c.isdigit() for c in s)]
""",
        args1("abc123", "", "!!"),
        args1("hello world 2024", "1a2b3c", "A", "9999", "mixed_UP 42!"),
    ),
    task(
        "squeeze_spaces", 1, "squeeze_spaces(s: str) -> str",
        "Replace every run of spaces with a single space and strip spaces at both ends.",
        """
def squeeze_spaces(s):
    return " ".join(p for p in s.split(" ") if p)
""",
        args1("a  b", " x ", "ok"),
        args1("", "     ", "many    spaces   here", "tab\tkept  x", " lead"),
    ),
    task(
        "is_isogram", 1, "is_isogram(s: str) -> bool",
        "Return True if no letter occurs more than once in `s`, ignoring case; spaces and hyphens "
        "may repeat.",
        """
def is_isogram(s):
    letters = [c.lower() for c in s if c.isalpha()]
    return len(letters) == len(set(letters))
""",
        args1("lumberjacks", "hello", ""),
        args1("six-year-old", "Alphabet", "background", "isograms", "a b c"),
    ),
    task(
        "is_pangram", 1, "is_pangram(s: str) -> bool",
        "Return True if `s` uses every letter a-z at least once, ignoring case.",
        """
def is_pangram(s):
    return set("abcdefghijklmnopqrstuvwxyz") <= set(s.lower())
""",
        args1("The quick brown fox jumps over the lazy dog", "abc", ""),
        args1("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxy", "Pack my box with five "
              "dozen liquor jugs", "the_quick_brown_fox", "Sphinx of black quartz, judge my vow"),
    ),
    task(
        "divisors", 1, "divisors(n: int) -> list[int]",
        "Return all positive divisors of n >= 1 in ascending order.",
        """
def divisors(n):
    return [d for d in range(1, n + 1) if n % d == 0]
""",
        args1(6, 1, 7),
        args1(12, 36, 97, 100, 2),
    ),
    task(
        "prime_factors", 2, "prime_factors(n: int) -> list[int]",
        "Return the prime factors of n >= 2 with multiplicity, ascending (12 -> [2, 2, 3]).",
        """
def prime_factors(n):
    out, d = [], 2
    while d * d <= n:
        while n % d == 0:
            out.append(d)
            n //= d
        d += 1
    if n > 1:
        out.append(n)
    return out
""",
        args1(12, 7, 8),
        args1(2, 360, 9973, 1001, 2 ** 10 * 3),
    ),
    task(
        "nth_prime", 2, "nth_prime(n: int) -> int",
        "Return the n-th prime, 1-indexed: nth_prime(1) == 2.",
        """
def nth_prime(n):
    count, k = 0, 1
    while count < n:
        k += 1
        if all(k % d for d in range(2, int(k ** 0.5) + 1)):
            count += 1
    return k
""",
        args1(1, 2, 5),
        args1(10, 100, 3, 1000, 25),
    ),
    task(
        "sort_by_length", 1, "sort_by_length(words: list[str]) -> list[str]",
        "Sort words by length, shortest first; words of equal length keep their input order.",
        """
def sort_by_length(words):
    return sorted(words, key=len)
""",
        args1(["ccc", "a", "bb"], [], ["xy", "ab"]),
        args1(["same", "four", "a", "xyz"], ["", "b", ""], ["longest", "mid", "s"],
              ["bb", "aa", "c", "dd"], ["one"]),
    ),
    task(
        "find_all", 1, "find_all(s: str, sub: str) -> list[int]",
        "Return every start index at which the non-empty `sub` occurs in `s`, overlaps "
        "included, ascending.",
        """
def find_all(s, sub):
    return [i for i in range(len(s) - len(sub) + 1) if s.startswith(sub, i)]
""",
        [("banana", "an"), ("abc", "x"), ("aaa", "a")],
        [("", "a"), ("aaaa", "aa"), ("hello hello", "hello"), ("abcabcabc", "cab"),
         ("ab", "abc")],
    ),
    task(
        "is_leap_year", 1, "is_leap_year(year: int) -> bool",
        "Return True for Gregorian leap years: divisible by 4, except centuries, which must be "
        "divisible by 400.",
        """
def is_leap_year(year):
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
""",
        args1(2024, 2023, 2000),
        args1(1900, 2100, 1600, 4, 2019),
    ),
    task(
        "triangle_type", 1, "triangle_type(a: int, b: int, c: int) -> str",
        "Classify side lengths as 'equilateral', 'isosceles' or 'scalene'; if any side is "
        "non-positive or the triangle inequality fails (a + b <= c for some ordering), return "
        "'invalid'.",
        """
def triangle_type(a, b, c):
    x, y, z = sorted((a, b, c))
    if x <= 0 or x + y <= z:
        return "invalid"
    if x == z:
        return "equilateral"
    if x == y or y == z:
        return "isosceles"
    return "scalene"
""",
        [(3, 3, 3), (3, 4, 5), (2, 2, 3)],
        [(1, 2, 3), (0, 1, 1), (5, 5, 9), (7, 10, 5), (-1, 2, 2)],
    ),
    task(
        "longest_run", 1, "longest_run(xs: list[int]) -> int",
        "Return the length of the longest run of equal adjacent values in `xs` (0 for an empty "
        "list).",
        """
def longest_run(xs):
    best = cur = 0
    for i, x in enumerate(xs):
        cur = cur + 1 if i and xs[i - 1] == x else 1
        best = max(best, cur)
    return best
""",
        args1([1, 1, 2], [], [3]),
        args1([1, 2, 3], [5, 5, 5, 5], [1, 1, 2, 2, 2, 1], [0, 1, 0, 1], [7, 7, 7, 8, 8, 8, 8]),
    ),
    task(
        "majority_element", 1, "majority_element(xs: list[int]) -> int",
        "Return the value occurring more than len(xs) / 2 times, or -1 if there is none.",
        """
def majority_element(xs):
    for x in set(xs):
        if xs.count(x) * 2 > len(xs):
            return x
    return -1
""",
        args1([3, 3, 4], [1, 2], [7]),
        args1([], [2, 2, 1, 1], [5, 5, 5, 1, 2], [1, 2, 3, 1, 1], [0, 0, 0]),
    ),
]
