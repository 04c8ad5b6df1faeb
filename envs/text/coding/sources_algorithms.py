"""Author-written task sources, part 2: parsing and algorithms (difficulty 2-3).

Same format as `sources_basic`; these are the tasks a small model is expected to fail more
often, so the bank spans difficulty.
"""

from __future__ import annotations

from specgym.envs.text.coding.spec import args1, task

TASKS = [
    task(
        "parse_csv_line", 3, "parse_csv_line(line: str) -> list[str]",
        "Split one CSV line on commas. A field may be wrapped in double quotes, in which case it "
        "may contain commas, and a doubled quote inside it stands for one quote character. The "
        "quotes themselves are not part of the field.",
        """
def parse_csv_line(line):
    fields, cur, i, quoted = [], [], 0, False
    while i < len(line):
        c = line[i]
        if quoted:
            if c == '"' and i + 1 < len(line) and line[i + 1] == '"':
                cur.append('"')
                i += 1
            elif c == '"':
                quoted = False
            else:
                cur.append(c)
        elif c == '"':
            quoted = True
        elif c == ",":
            fields.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    fields.append("".join(cur))
    return fields
""",
        args1("a,b,c", '"x,y",z', "one"),
        args1("", ",,", '"say ""hi""",2', 'a,"",b', '"a,b","c,d",e'),
    ),
    task(
        "eval_rpn", 3, "eval_rpn(tokens: list[str]) -> int",
        "Evaluate a reverse-Polish expression over integers with +, -, * and /, where / divides "
        "and truncates toward zero (-7 / 2 == -3).",
        """
def eval_rpn(tokens):
    stack = []
    for t in tokens:
        if t in ("+", "-", "*", "/"):
            b, a = stack.pop(), stack.pop()
            if t == "+":
                stack.append(a + b)
            elif t == "-":
                stack.append(a - b)
            elif t == "*":
                stack.append(a * b)
            else:
                q = abs(a) // abs(b)
                stack.append(q if (a >= 0) == (b >= 0) else -q)
        else:
            stack.append(int(t))
    return stack[0]
""",
        args1(["2", "3", "+"], ["4", "13", "5", "/", "+"], ["7"]),
        args1(["-7", "2", "/"], ["3", "4", "-", "5", "*"], ["10", "6", "9", "3", "+", "-11", "*",
              "/", "*", "17", "+", "5", "+"], ["1", "2", "-"], ["7", "-2", "/"]),
    ),
    task(
        "two_sum", 2, "two_sum(nums: list[int], target: int) -> list[int]",
        "Return [i, j] with i < j and nums[i] + nums[j] == target, choosing the smallest i and "
        "then the smallest j; return [] if there is no such pair.",
        """
def two_sum(nums, target):
    for i in range(len(nums)):
        for j in range(i + 1, len(nums)):
            if nums[i] + nums[j] == target:
                return [i, j]
    return []
""",
        [([2, 7, 11, 15], 9), ([3, 2, 4], 6), ([1, 2], 5)],
        [([], 0), ([3, 3], 6), ([1, 5, 1, 5], 6), ([0, -1, 1], 0), ([4, 4, 4], 8)],
    ),
    task(
        "max_subarray_sum", 2, "max_subarray_sum(xs: list[int]) -> int",
        "Return the largest sum of a non-empty contiguous slice of the non-empty list `xs`.",
        """
def max_subarray_sum(xs):
    best = cur = xs[0]
    for x in xs[1:]:
        cur = max(x, cur + x)
        best = max(best, cur)
    return best
""",
        args1([-2, 1, -3, 4, -1, 2, 1, -5, 4], [1], [5, -1, 5]),
        args1([-3, -1, -2], [0], [2, -10, 3], [1, 2, 3, 4], [-1, 4, -1, 4, -10, 6]),
    ),
    task(
        "lis_length", 3, "lis_length(xs: list[int]) -> int",
        "Return the length of the longest strictly increasing subsequence of `xs`.",
        """
def lis_length(xs):
    best = [1] * len(xs)
    for i in range(len(xs)):
        for j in range(i):
            if xs[j] < xs[i]:
                best[i] = max(best[i], best[j] + 1)
    return max(best, default=0)
""",
        args1([10, 9, 2, 5, 3, 7, 101, 18], [1, 2, 3], [3, 2, 1]),
        args1([], [5, 5, 5], [0, 1, 0, 3, 2, 3], [4, 10, 4, 3, 8, 9], [1, 3, 6, 7, 9, 4, 10, 5]),
    ),
    task(
        "edit_distance", 3, "edit_distance(a: str, b: str) -> int",
        "Return the Levenshtein distance between `a` and `b` (insertions, deletions and "
        "substitutions each cost 1).",
        """
def edit_distance(a, b):
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]
""",
        [("kitten", "sitting"), ("", "abc"), ("same", "same")],
        [("", ""), ("flaw", "lawn"), ("intention", "execution"), ("abc", "cba"), ("a", "")],
    ),
    task(
        "longest_palindrome", 3, "longest_palindrome(s: str) -> str",
        "Return the longest palindromic substring of `s`; if several have the maximum length, "
        "the one that starts first. The empty string gives ''.",
        """
def longest_palindrome(s):
    best = ""
    for i in range(len(s)):
        for lo, hi in ((i, i), (i, i + 1)):
            while lo >= 0 and hi < len(s) and s[lo] == s[hi]:
                lo -= 1
                hi += 1
            if hi - lo - 1 > len(best):
                best = s[lo + 1:hi]
    return best
""",
        args1("babad", "cbbd", "a"),
        args1("", "forgeeksskeegfor", "abc", "aaaa", "abacdfgdcaba"),
    ),
    task(
        "valid_ipv4", 2, "valid_ipv4(s: str) -> bool",
        "Return True if `s` is a dotted IPv4 address: exactly four parts, each a decimal number "
        "0-255 made only of digits, with no leading zeros (except '0' itself).",
        """
def valid_ipv4(s):
    parts = s.split(".")
    if len(parts) != 4:
        return False
    for p in parts:
        if not p.isdigit() or (len(p) > 1 and p[0] == "0") or int(p) > 255:
            return False
    return True
""",
        args1("192.168.1.1", "256.1.1.1", "1.2.3"),
        args1("0.0.0.0", "01.2.3.4", "1.2.3.4.5", "255.255.255.255", "1.2.-3.4", "a.b.c.d"),
    ),
    task(
        "compress_ranges", 2, "compress_ranges(xs: list[int]) -> str",
        "Given ascending distinct integers, join runs of consecutive numbers as 'a-b' and lone "
        "numbers as themselves, separated by commas: [1,2,3,5,7,8] -> '1-3,5,7-8'.",
        """
def compress_ranges(xs):
    parts, i = [], 0
    while i < len(xs):
        j = i
        while j + 1 < len(xs) and xs[j + 1] == xs[j] + 1:
            j += 1
        parts.append(str(xs[i]) if i == j else f"{xs[i]}-{xs[j]}")
        i = j + 1
    return ",".join(parts)
""",
        args1([1, 2, 3, 5, 7, 8], [4], [1, 3]),
        args1([], [-3, -2, -1, 0], [1, 2], [0, 2, 4, 5, 6, 10], [100, 101, 103]),
    ),
    task(
        "expand_ranges", 2, "expand_ranges(s: str) -> list[int]",
        "Expand a comma-separated list of non-negative numbers and 'a-b' ranges (inclusive, "
        "a <= b) into the list of integers, in the given order. '' gives [].",
        """
def expand_ranges(s):
    out = []
    for part in s.split(","):
        if not part:
            continue
        if "-" in part:
            a, b = part.split("-")
            out.extend(range(int(a), int(b) + 1))
        else:
            out.append(int(part))
    return out
""",
        args1("1-3,5", "7", "2-2"),
        args1("", "0-4", "10,1-2,7", "5-7,1-3", "3,3,3"),
    ),
    task(
        "count_islands", 3, "count_islands(grid: list[str]) -> int",
        "Count the islands in a grid of '1' (land) and '0' (water) given as equal-length "
        "strings; land cells connect up, down, left and right (not diagonally).",
        """
def count_islands(grid):
    seen = set()
    count = 0
    for r in range(len(grid)):
        for c in range(len(grid[0])):
            if grid[r][c] == "1" and (r, c) not in seen:
                count += 1
                stack = [(r, c)]
                seen.add((r, c))
                while stack:
                    y, x = stack.pop()
                    for ny, nx in ((y + 1, x), (y - 1, x), (y, x + 1), (y, x - 1)):
                        if (0 <= ny < len(grid) and 0 <= nx < len(grid[0])
                                and grid[ny][nx] == "1" and (ny, nx) not in seen):
                            seen.add((ny, nx))
                            stack.append((ny, nx))
    return count
""",
        args1(["110", "010", "001"], ["0"], ["111"]),
        args1([], ["101", "010", "101"], ["1111", "1001", "1111"], ["10", "01"],
              ["11000", "11000", "00100", "00011"]),
    ),
    task(
        "top_k_words", 2, "top_k_words(s: str, k: int) -> list[str]",
        "Return the `k` most frequent lower-cased words of `s` (split on whitespace), ordered by "
        "count descending and then alphabetically; fewer if there are fewer distinct words.",
        """
def top_k_words(s, k):
    counts = {}
    for w in s.lower().split():
        counts[w] = counts.get(w, 0) + 1
    return sorted(counts, key=lambda w: (-counts[w], w))[:k]
""",
        [("a b a", 1), ("x y z", 2), ("b a", 5)],
        [("", 3), ("the cat The dog the cat", 2), ("one two three two three three", 3),
         ("Zz zz aa", 1), ("q w e r t y", 0)],
    ),
    task(
        "group_anagrams", 3, "group_anagrams(words: list[str]) -> list[list[str]]",
        "Group words that are anagrams of each other. Each group is sorted alphabetically and "
        "the groups are sorted by their first word.",
        """
def group_anagrams(words):
    groups = {}
    for w in words:
        groups.setdefault("".join(sorted(w)), []).append(w)
    return sorted(sorted(g) for g in groups.values())
""",
        args1(["eat", "tea", "tan", "ate", "nat", "bat"], ["a"], []),
        args1(["abc", "bca", "xyz"], ["", ""], ["listen", "silent", "enlist", "google"],
              ["ab", "ba", "ab"], ["z", "y", "x"]),
    ),
    task(
        "spiral_order", 3, "spiral_order(m: list[list[int]]) -> list[int]",
        "Return the elements of the rectangular matrix `m` in clockwise spiral order starting at "
        "the top-left corner.",
        """
def spiral_order(m):
    out = []
    m = [list(row) for row in m]
    while m:
        out.extend(m.pop(0))
        m = [list(row) for row in zip(*m)][::-1]
    return out
""",
        args1([[1, 2], [3, 4]], [[1, 2, 3]], [[1], [2]]),
        args1([], [[1, 2, 3], [4, 5, 6], [7, 8, 9]], [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]],
              [[7]], [[1, 2], [3, 4], [5, 6]]),
    ),
    task(
        "rotate_matrix", 2, "rotate_matrix(m: list[list[int]]) -> list[list[int]]",
        "Return the square matrix `m` rotated 90 degrees clockwise, as a new matrix.",
        """
def rotate_matrix(m):
    n = len(m)
    return [[m[n - 1 - i][j] for i in range(n)] for j in range(n)]
""",
        args1([[1, 2], [3, 4]], [[5]], [[0, 1], [1, 0]]),
        args1([], [[1, 2, 3], [4, 5, 6], [7, 8, 9]],
              [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]],
              [[2, 2], [2, 2]], [[1, 0, 0], [0, 1, 0], [0, 0, 1]]),
    ),
    task(
        "merge_intervals", 2, "merge_intervals(iv: list[list[int]]) -> list[list[int]]",
        "Merge overlapping closed intervals [a, b] (touching ones, like [1, 2] and [2, 3], "
        "merge too) and return them sorted by start.",
        """
def merge_intervals(iv):
    out = []
    for a, b in sorted(iv):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return out
""",
        args1([[1, 3], [2, 6], [8, 10]], [[1, 2]], [[1, 4], [4, 5]]),
        args1([], [[5, 6], [1, 2]], [[1, 10], [2, 3], [4, 5]], [[3, 4], [1, 2], [2, 3]],
              [[0, 0], [0, 0], [1, 1]]),
    ),
    task(
        "count_inversions", 3, "count_inversions(xs: list[int]) -> int",
        "Count pairs i < j with xs[i] > xs[j].",
        """
def count_inversions(xs):
    return sum(1 for i in range(len(xs)) for j in range(i + 1, len(xs)) if xs[i] > xs[j])
""",
        args1([2, 1], [1, 2, 3], [3, 2, 1]),
        args1([], [1, 1, 1], [5, 4, 3, 2, 1], [1, 3, 2, 3, 1], [2, 4, 1, 3, 5]),
    ),
    task(
        "next_permutation", 3, "next_permutation(xs: list[int]) -> list[int]",
        "Return the next lexicographically greater permutation of `xs`; if `xs` is the "
        "greatest, return it sorted ascending. Do not modify the input.",
        """
def next_permutation(xs):
    xs = list(xs)
    i = len(xs) - 2
    while i >= 0 and xs[i] >= xs[i + 1]:
        i -= 1
    if i < 0:
        return sorted(xs)
    j = len(xs) - 1
    while xs[j] <= xs[i]:
        j -= 1
    xs[i], xs[j] = xs[j], xs[i]
    xs[i + 1:] = reversed(xs[i + 1:])
    return xs
""",
        args1([1, 2, 3], [3, 2, 1], [1, 1, 5]),
        args1([1], [1, 3, 2], [2, 3, 1], [1, 5, 1], [4, 2, 0, 2, 3, 2, 0]),
    ),
    task(
        "string_permutations", 3, "string_permutations(s: str) -> list[str]",
        "Return all distinct permutations of `s`, sorted alphabetically. '' gives [''].",
        """
def string_permutations(s):
    if not s:
        return [""]
    out = set()
    for i, c in enumerate(s):
        for rest in string_permutations(s[:i] + s[i + 1:]):
            out.add(c + rest)
    return sorted(out)
""",
        args1("ab", "a", "aab"),
        args1("", "abc", "aaa", "abcd", "xyx"),
    ),
    task(
        "subsets", 3, "subsets(xs: list[int]) -> list[list[int]]",
        "Return every subset of the distinct integers `xs`, each subset sorted ascending, and the "
        "list of subsets sorted (as lists, so [] comes first).",
        """
def subsets(xs):
    out = [[]]
    for x in xs:
        out += [s + [x] for s in out]
    return sorted(sorted(s) for s in out)
""",
        args1([1, 2], [], [5]),
        args1([3, 1, 2], [0, -1], [4, 3, 2, 1], [10, 20, 30], [7, 1]),
    ),
    task(
        "coin_change_ways", 3, "coin_change_ways(amount: int, coins: list[int]) -> int",
        "Return the number of ways to make `amount` from unlimited coins of the given distinct "
        "positive denominations; order does not matter. amount 0 has one way.",
        """
def coin_change_ways(amount, coins):
    ways = [1] + [0] * amount
    for c in coins:
        for a in range(c, amount + 1):
            ways[a] += ways[a - c]
    return ways[amount]
""",
        [(5, [1, 2, 5]), (3, [2]), (0, [7])],
        [(10, [10]), (100, [1, 5, 10, 25, 50]), (7, [2, 4]), (12, [1, 2, 3]), (1, [])],
    ),
    task(
        "min_coins", 3, "min_coins(amount: int, coins: list[int]) -> int",
        "Return the fewest coins (unlimited supply) that sum to `amount`, or -1 if it cannot be "
        "made. amount 0 needs 0 coins.",
        """
def min_coins(amount, coins):
    inf = amount + 1
    best = [0] + [inf] * amount
    for a in range(1, amount + 1):
        for c in coins:
            if c <= a and best[a - c] + 1 < best[a]:
                best[a] = best[a - c] + 1
    return best[amount] if best[amount] < inf else -1
""",
        [(11, [1, 2, 5]), (3, [2]), (0, [1])],
        [(6, [1, 3, 4]), (7, [2, 4]), (100, [1, 5, 10, 25]), (27, [5, 9]), (1, [2, 3])],
    ),
    task(
        "climb_stairs", 2, "climb_stairs(n: int) -> int",
        "Count the ways to climb `n` >= 0 stairs taking 1 or 2 steps at a time (climb_stairs(0) "
        "is 1). n may be up to 80.",
        """
def climb_stairs(n):
    a, b = 1, 1
    for _ in range(n):
        a, b = b, a + b
    return a
""",
        args1(1, 2, 3),
        args1(0, 5, 10, 40, 80),
    ),
    task(
        "atoi", 2, "atoi(s: str) -> int",
        "Parse a leading integer: skip leading spaces, accept one optional '+' or '-', then read "
        "digits until the first non-digit. If no digits are read, return 0.",
        """
def atoi(s):
    s = s.lstrip(" ")
    sign = 1
    if s[:1] in ("+", "-"):
        sign = -1 if s[0] == "-" else 1
        s = s[1:]
    digits = ""
    for c in s:
        if not c.isdigit():
            break
        digits += c
    return sign * int(digits) if digits else 0
""",
        args1("42", "   -42", "4193 with words"),
        args1("", "words 987", "+-12", "  +0012x", "-", "--5"),
    ),
    task(
        "strip_comments", 2, "strip_comments(code: str) -> str",
        "Remove everything from '#' to the end of each line and trailing spaces of each line; "
        "keep the line structure ('\\n' separators).",
        """
def strip_comments(code):
    return "\\n".join(line.split("#", 1)[0].rstrip() for line in code.split("\\n"))
""",
        args1("x = 1  # set x", "# only comment", "a\\nb"),
        args1("", "a = 2\\n# c\\nb = 3 # d", "no comment here  ", "#\\n#\\n", "s = 'x' # y # z"),
    ),
    task(
        "wrap_text", 3, "wrap_text(s: str, width: int) -> list[str]",
        "Greedily wrap the words of `s` into lines of at most `width` characters (words joined by "
        "single spaces). A word longer than `width` gets a line of its own. '' gives [].",
        """
def wrap_text(s, width):
    lines, cur = [], ""
    for w in s.split():
        if not cur:
            cur = w
        elif len(cur) + 1 + len(w) <= width:
            cur += " " + w
        else:
            lines.append(cur)
            cur = w
    if cur:
        lines.append(cur)
    return lines
""",
        [("the quick brown fox", 10), ("a b", 1), ("hello", 5)],
        [("", 4), ("aaa bb cc d", 5), ("supercalifragilistic is long", 6),
         ("one two three four five", 9), ("x  y   z", 3)],
    ),
    task(
        "pig_latin", 2, "pig_latin(word: str) -> str",
        "Translate one lower-case word into Pig Latin: if it starts with a vowel (aeiou) add "
        "'way'; otherwise move the leading consonants (up to the first vowel) to the end and add "
        "'ay'. A word with no vowels just gets 'ay'.",
        """
def pig_latin(word):
    if word[0] in "aeiou":
        return word + "way"
    for i, c in enumerate(word):
        if c in "aeiou":
            return word[i:] + word[:i] + "ay"
    return word + "ay"
""",
        args1("pig", "apple", "string"),
        args1("egg", "rhythm", "school", "yellow", "quiet"),
    ),
    task(
        "morse_encode", 2, "morse_encode(s: str) -> str",
        "Encode letters and digits in International Morse code: letters within a word separated "
        "by one space, words separated by ' / '. Case is ignored; other characters are dropped.",
        """
MORSE = dict(zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", (
    ".- -... -.-. -.. . ..-. --. .... .. .--- -.- .-.. -- -. --- .--. --.- .-. ... - ..- ...- "
    ".-- -..- -.-- --.. ----- .---- ..--- ...-- ....- ..... -.... --... ---.. ----.").split()))


def morse_encode(s):
    words = []
    for w in s.upper().split():
        codes = [MORSE[c] for c in w if c in MORSE]
        if codes:
            words.append(" ".join(codes))
    return " / ".join(words)
""",
        args1("sos", "hi there", "a"),
        args1("", "Hello, World", "42", "  e  t  ", "Morse code 1"),
    ),
    task(
        "gray_code", 3, "gray_code(n: int) -> list[int]",
        "Return the n-bit reflected Gray code sequence starting at 0 (gray_code(2) == "
        "[0, 1, 3, 2]); gray_code(0) == [0].",
        """
def gray_code(n):
    return [i ^ (i >> 1) for i in range(1 << n)]
""",
        args1(1, 2, 0),
        args1(3, 4, 5),
    ),
    task(
        "to_base", 2, "to_base(n: int, base: int) -> str",
        "Write n >= 0 in base 2..36 using digits 0-9 then upper-case A-Z; 0 gives '0'.",
        """
def to_base(n, base):
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    if n == 0:
        return "0"
    out = []
    while n:
        out.append(digits[n % base])
        n //= base
    return "".join(reversed(out))
""",
        [(10, 2), (255, 16), (0, 7)],
        [(35, 36), (1000, 8), (36, 36), (123456789, 30), (7, 7)],
    ),
    task(
        "sort_people", 2, "sort_people(people: list[list]) -> list[str]",
        "`people` is a list of [name, age] pairs. Return the names ordered by age, oldest first, "
        "and alphabetically among people of the same age.",
        """
def sort_people(people):
    return [name for name, age in sorted(people, key=lambda p: (-p[1], p[0]))]
""",
        args1([["ann", 30], ["bob", 25]], [], [["z", 1], ["a", 1]]),
        args1([["x", 5]], [["c", 3], ["b", 3], ["a", 4]], [["eve", 40], ["dan", 41], ["cy", 40]],
              [["m", 0], ["n", 100]], [["b", 2], ["a", 2], ["c", 2]]),
    ),
    task(
        "invert_dict", 2, "invert_dict(d: dict[str, str]) -> dict[str, list[str]]",
        "Invert a mapping: return {value: sorted list of keys that had that value}.",
        """
def invert_dict(d):
    out = {}
    for k, v in d.items():
        out.setdefault(v, []).append(k)
    return {v: sorted(ks) for v, ks in out.items()}
""",
        args1({"a": "x", "b": "y"}, {}, {"a": "z", "b": "z"}),
        args1({"k": "v"}, {"c": "1", "a": "1", "b": "2"}, {"x": "x", "y": "x"},
              {"p": "q", "q": "p"}, {"one": "odd", "two": "even", "three": "odd"}),
    ),
    task(
        "deep_get", 2, "deep_get(d: dict, path: str, default: int) -> int",
        "Follow the dot-separated keys of `path` into the nested dicts `d` and return the value "
        "there, or `default` if any key is missing or a non-dict is reached before the end.",
        """
def deep_get(d, path, default):
    cur = d
    for key in path.split("."):
        if not isinstance(cur, dict) or key not in cur:
            return default
        cur = cur[key]
    return cur
""",
        [({"a": {"b": 1}}, "a.b", 0), ({"a": 2}, "b", -1), ({"x": {"y": {"z": 3}}}, "x.y.z", 0)],
        [({}, "a", 7), ({"a": 5}, "a.b", 9), ({"a": {"b": {"c": 4}}}, "a.b.d", -2),
         ({"k": 1}, "k", 0), ({"a": {"a": {"a": 8}}}, "a.a.a", 1)],
    ),
    task(
        "parse_duration", 2, "parse_duration(s: str) -> int",
        "Parse a duration such as '1h30m15s', '45m' or '2h5s' (units h, m, s; each at most once, "
        "in that order) into seconds. '' gives 0.",
        """
def parse_duration(s):
    total, num = 0, ""
    for c in s:
        if c.isdigit():
            num += c
        else:
            total += int(num) * {"h": 3600, "m": 60, "s": 1}[c]
            num = ""
    return total
""",
        args1("1h30m15s", "45m", "10s"),
        args1("", "2h5s", "0h0m0s", "100m", "1h1m1s"),
    ),
    task(
        "format_duration", 2, "format_duration(seconds: int) -> str",
        "Format seconds >= 0 as hours, minutes and seconds, e.g. '1h 30m 15s', leaving out zero "
        "parts ('1h 5s'); 0 gives '0s'.",
        """
def format_duration(seconds):
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    parts = [f"{v}{u}" for v, u in ((h, "h"), (m, "m"), (s, "s")) if v]
    return " ".join(parts) or "0s"
""",
        args1(5415, 60, 0),
        args1(3605, 59, 86400, 3661, 7200),
    ),
    task(
        "valid_email", 2, "valid_email(s: str) -> bool",
        "Return True if `s` has exactly one '@', a non-empty local part, and a domain made of at "
        "least two non-empty dot-separated labels of letters, digits or hyphens; spaces are never "
        "allowed.",
        """
def valid_email(s):
    if " " in s or s.count("@") != 1:
        return False
    local, domain = s.split("@")
    labels = domain.split(".")
    if not local or len(labels) < 2:
        return False
    return all(lab and all(c.isalnum() or c == "-" for c in lab) for lab in labels)
""",
        args1("a@b.com", "no-at.com", "x@y"),
        args1("", "a@@b.com", "first.last@sub.example.org", "a b@c.com", "a@b..com", "@b.com",
              "me@my-site.io"),
    ),
    task(
        "query_params", 2, "query_params(url: str) -> dict[str, str]",
        "Return the query parameters of `url` (the part after the first '?', up to an optional "
        "'#') as a dict. A parameter without '=' maps to ''; later duplicates win.",
        """
def query_params(url):
    if "?" not in url:
        return {}
    query = url.split("?", 1)[1].split("#", 1)[0]
    out = {}
    for part in query.split("&"):
        if not part:
            continue
        key, _, value = part.partition("=")
        out[key] = value
    return out
""",
        args1("https://x.com/p?a=1&b=two", "https://x.com", "/p?flag"),
        args1("/p?", "/p?a=1&a=2", "/p?x=1#frag", "/p?a=b=c", "/q?k=&m=3&&"),
    ),
    task(
        "eval_expression", 3, "eval_expression(s: str) -> int",
        "Evaluate an integer expression with +, -, *, parentheses and spaces, using the usual "
        "precedence (* before + and -, left to right). There is no unary minus and no division. "
        "Do not use eval().",
        """
def eval_expression(s):
    tokens = [c for c in s.replace(" ", "")]
    merged = []
    for c in tokens:
        if c.isdigit() and merged and merged[-1].isdigit():
            merged[-1] += c
        else:
            merged.append(c)
    pos = 0

    def expr():
        nonlocal pos
        value = term()
        while pos < len(merged) and merged[pos] in "+-":
            op = merged[pos]
            pos += 1
            value = value + term() if op == "+" else value - term()
        return value

    def term():
        nonlocal pos
        value = atom()
        while pos < len(merged) and merged[pos] == "*":
            pos += 1
            value *= atom()
        return value

    def atom():
        nonlocal pos
        tok = merged[pos]
        pos += 1
        if tok == "(":
            value = expr()
            pos += 1
            return value
        return int(tok)

    return expr()
""",
        args1("2+3*4", "(2+3)*4", "7"),
        args1("10-4-3", "2*(3+4)*5", "((1))", "100 - 2 * 3 * (4 - 1)", "1+2-3+4*5"),
    ),
    task(
        "day_of_year", 2, "day_of_year(date: str) -> int",
        "Return the day of the year (1-366) of a 'YYYY-MM-DD' Gregorian date, without using the "
        "datetime module.",
        """
def day_of_year(date):
    y, m, d = (int(p) for p in date.split("-"))
    leap = y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
    days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    return sum(days[:m - 1]) + d
""",
        args1("2024-01-01", "2023-03-01", "2024-03-01"),
        args1("2023-12-31", "2024-12-31", "1900-03-01", "2000-03-01", "2021-07-04"),
    ),
    task(
        "luhn_valid", 2, "luhn_valid(s: str) -> bool",
        "Check a number with the Luhn algorithm. Spaces are ignored; any other non-digit, or "
        "fewer than two digits, makes it invalid.",
        """
def luhn_valid(s):
    digits = s.replace(" ", "")
    if len(digits) < 2 or not digits.isdigit():
        return False
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0
""",
        args1("4539 3195 0343 6467", "8273 1232 7352 0569", "0"),
        args1("059", "59", "055 444 285", "055b 444 285", " 0 0 ", "1"),
    ),
    task(
        "grid_shortest_path", 3, "grid_shortest_path(grid: list[str]) -> int",
        "The grid has one 'S', one 'E', walls '#' and open cells '.'. Return the fewest moves "
        "(up/down/left/right) from S to E, or -1 if E cannot be reached.",
        """
def grid_shortest_path(grid):
    for r, row in enumerate(grid):
        if "S" in row:
            start = (r, row.index("S"))
    frontier, dist = [start], {start: 0}
    while frontier:
        nxt = []
        for y, x in frontier:
            if grid[y][x] == "E":
                return dist[(y, x)]
            for ny, nx in ((y + 1, x), (y - 1, x), (y, x + 1), (y, x - 1)):
                if (0 <= ny < len(grid) and 0 <= nx < len(grid[0]) and grid[ny][nx] != "#"
                        and (ny, nx) not in dist):
                    dist[(ny, nx)] = dist[(y, x)] + 1
                    nxt.append((ny, nx))
        frontier = nxt
    return -1
""",
        args1(["S.E"], ["S#E"], ["S..", ".#.", "..E"]),
        args1(["SE"], ["S.#", "##.", "..E"], ["S....", "####.", "E...."], ["E", "S"],
              ["S.#.E", "..#..", "....."]),
    ),
    task(
        "topo_sort", 3, "topo_sort(n: int, edges: list[list[int]]) -> list[int]",
        "Nodes are 0..n-1 and each edge [a, b] means a must come before b. Return the "
        "lexicographically smallest valid order, or [] if the edges contain a cycle.",
        """
import heapq


def topo_sort(n, edges):
    indeg = [0] * n
    succ = [[] for _ in range(n)]
    for a, b in edges:
        succ[a].append(b)
        indeg[b] += 1
    heap = [i for i in range(n) if indeg[i] == 0]
    heapq.heapify(heap)
    out = []
    while heap:
        v = heapq.heappop(heap)
        out.append(v)
        for w in succ[v]:
            indeg[w] -= 1
            if indeg[w] == 0:
                heapq.heappush(heap, w)
    return out if len(out) == n else []
""",
        [(3, [[0, 1], [1, 2]]), (2, []), (2, [[1, 0]])],
        [(3, [[0, 1], [1, 2], [2, 0]]), (4, [[3, 0], [2, 1]]), (1, []),
         (5, [[4, 3], [3, 2], [2, 1], [1, 0]]), (4, [[0, 3], [1, 3], [2, 3]])],
    ),
    task(
        "knapsack", 3, "knapsack(weights: list[int], values: list[int], cap: int) -> int",
        "0/1 knapsack: return the largest total value of a subset of items whose total weight is "
        "at most `cap`.",
        """
def knapsack(weights, values, cap):
    best = [0] * (cap + 1)
    for w, v in zip(weights, values):
        for c in range(cap, w - 1, -1):
            best[c] = max(best[c], best[c - w] + v)
    return best[cap]
""",
        [([1, 3, 4], [15, 20, 30], 4), ([5], [10], 4), ([], [], 10)],
        [([1, 2, 3], [6, 10, 12], 5), ([4, 2, 3], [10, 4, 7], 5), ([1, 1, 1], [1, 2, 3], 2),
         ([10, 20, 30], [60, 100, 120], 50), ([3, 3], [5, 5], 0)],
    ),
    task(
        "sliding_max", 2, "sliding_max(xs: list[int], k: int) -> list[int]",
        "Return the maximum of every window of `k` consecutive elements (1 <= k <= len(xs)), in "
        "order.",
        """
def sliding_max(xs, k):
    return [max(xs[i:i + k]) for i in range(len(xs) - k + 1)]
""",
        [([1, 3, -1, -3, 5, 3, 6, 7], 3), ([4], 1), ([2, 1], 2)],
        [([1, 2, 3, 4], 1), ([9, 8, 7, 6], 2), ([5, 5, 5], 3), ([-1, -5, -2, -8], 2),
         ([1, 3, 1, 2, 0, 5], 3)],
    ),
    task(
        "histogram", 1, "histogram(xs: list[int]) -> str",
        "Draw one line per value: the value's index, ': ', then that many '#'. Lines are joined "
        "by newlines; [] gives ''.",
        """
def histogram(xs):
    return "\\n".join(f"{i}: " + "#" * x for i, x in enumerate(xs))
""",
        args1([2, 0, 3], [], [1]),
        args1([5], [0, 0], [1, 2, 3, 4], [10, 1], [3, 3, 3]),
    ),
    task(
        "bracket_depth", 2, "bracket_depth(s: str) -> int",
        "Return the maximum nesting depth of parentheses in the balanced string `s`.",
        """
def bracket_depth(s):
    depth = best = 0
    for c in s:
        if c == "(":
            depth += 1
            best = max(best, depth)
        elif c == ")":
            depth -= 1
    return best
""",
        args1("(a(b))", "", "()()"),
        args1("((()))", "x", "(()(()))", "f(g(h(i(j))))", "()(())"),
    ),
]
