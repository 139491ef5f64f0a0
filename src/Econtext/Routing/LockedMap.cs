using System.Diagnostics.CodeAnalysis;

namespace Econtext.Routing;

/// <summary>
/// A thread-safe map from <see cref="long"/> to a reference type: a <see cref="Dictionary{TKey, TValue}"/>
/// under a <see cref="Lock"/>. It exists for start-up time, not speed: <c>ConcurrentDictionary</c> over a
/// value-type key (<c>int</c>, a tuple) has no ReadyToRun code anywhere (the instantiation is outside
/// our version bubble and System.Private.CoreLib's image does not carry it), so every child context
/// JIT-compiled some 40 of its methods at start. <c>Dictionary&lt;long, reference type&gt;</c> is
/// precompiled in CoreLib, and this class, generic only over a reference type, is precompiled in ours.
/// Keys that are pairs go through <see cref="MapKey"/>.
/// The semantics callers rely on are <c>ConcurrentDictionary</c>'s: every operation is atomic;
/// enumeration is over a snapshot; a factory runs outside the lock and may run more than once, with
/// one winner.
/// </summary>
/// <typeparam name="TValue">What the map holds: a reference type, so one shared copy of the code serves them all.</typeparam>
internal sealed class LockedMap<TValue>
    where TValue : class
{
    private readonly Dictionary<long, TValue> _map = [];
    private readonly Lock _lock = new();

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _map.Count;
            }
        }
    }

    /// <summary>Gets (throws <see cref="KeyNotFoundException"/> if absent) or adds or replaces an entry.</summary>
    public TValue this[long key]
    {
        get
        {
            lock (_lock)
            {
                return _map[key];
            }
        }

        set
        {
            lock (_lock)
            {
                _map[key] = value;
            }
        }
    }

    public bool ContainsKey(long key)
    {
        lock (_lock)
        {
            return _map.ContainsKey(key);
        }
    }

    public bool TryGetValue(long key, [MaybeNullWhen(false)] out TValue value)
    {
        lock (_lock)
        {
            return _map.TryGetValue(key, out value);
        }
    }

    public TValue? GetValueOrDefault(long key)
    {
        lock (_lock)
        {
            return _map.TryGetValue(key, out TValue? value) ? value : null;
        }
    }

    /// <summary>Adds the entry unless the key is present; true if it was added.</summary>
    public bool TryAdd(long key, TValue value)
    {
        lock (_lock)
        {
            return _map.TryAdd(key, value);
        }
    }

    public bool TryRemove(long key, [MaybeNullWhen(false)] out TValue value)
    {
        lock (_lock)
        {
            return _map.Remove(key, out value);
        }
    }

    /// <summary>Removes the entry only if it still holds <paramref name="value"/> (the same object).</summary>
    public bool TryRemove(long key, TValue value)
    {
        lock (_lock)
        {
            return _map.TryGetValue(key, out TValue? present) && ReferenceEquals(present, value) && _map.Remove(key);
        }
    }

    /// <summary>
    /// The value present for <paramref name="key"/>, or else <paramref name="factory"/>'s, added. The factory
    /// runs outside the lock; if another thread adds the key meanwhile, its value wins and is returned.
    /// </summary>
    public TValue GetOrAdd(long key, Func<long, TValue> factory)
    {
        if (TryGetValue(key, out TValue? existing))
        {
            return existing;
        }

        TValue created = factory(key);
        lock (_lock)
        {
            if (_map.TryGetValue(key, out existing))
            {
                return existing;
            }

            _map.Add(key, created);
            return created;
        }
    }

    /// <summary>The values at this moment, in a new array the caller may enumerate while the map changes.</summary>
    public TValue[] SnapshotValues()
    {
        lock (_lock)
        {
            if (_map.Count == 0)
            {
                return [];
            }

            var values = new TValue[_map.Count];
            _map.Values.CopyTo(values, 0);
            return values;
        }
    }

    /// <summary>The keys at this moment, in a new array the caller may enumerate while the map changes.</summary>
    public long[] SnapshotKeys()
    {
        lock (_lock)
        {
            if (_map.Count == 0)
            {
                return [];
            }

            var keys = new long[_map.Count];
            _map.Keys.CopyTo(keys, 0);
            return keys;
        }
    }
}
