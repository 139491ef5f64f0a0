namespace Econtext.IntegrationTests.Remote;

public enum Color
{
    Red = 1,
    Green = 2,
    Blue = 3,
}

[Flags]
public enum Access
{
    None = 0,
    Read = 1,
    Write = 2,
    Execute = 4,
}

public sealed record Address(string Street, string City, int? Zip);

/// <summary>A positional record, deserialized through its constructor.</summary>
public sealed record Person(string Name, int Age, Color Favourite, Address? Home, List<string> Tags, Dictionary<string, int> Scores);

/// <summary>A plain class with settable public properties.</summary>
public sealed class Item
{
    public string Name { get; set; } = string.Empty;

    public long Size { get; set; }

    public Access Access { get; set; }

    public DateOnly? Created { get; set; }
}

/// <summary>A plain class nesting every kind of allowed value.</summary>
public sealed class Inventory
{
    public string Host { get; set; } = string.Empty;

    public Guid Id { get; set; }

    public DateTime TakenAtUtc { get; set; }

    public DateTimeOffset TakenAtLocal { get; set; }

    public TimeSpan? Uptime { get; set; }

    public byte[] Blob { get; set; } = [];

    public List<Item> Items { get; set; } = [];

    public Item[] Archived { get; set; } = [];

    public Dictionary<Guid, Person> Owners { get; set; } = [];

    public Dictionary<Color, List<Item>>? ByColor { get; set; }

    public int[][] Matrix { get; set; } = [];

    public decimal Price { get; set; }

    public double? Ratio { get; set; }
}

/// <summary>What a context says about itself.</summary>
public sealed record ChildInfo(bool IsChild, string Name, int Id, int ProcessId);

public interface IShape
{
    double Area { get; }
}

public sealed class Square(double side) : IShape
{
    public double Area => side * side;
}

/// <summary>A class whose public property cannot travel.</summary>
public sealed class Bag
{
    public string Label { get; set; } = string.Empty;

    public object? Payload { get; set; }
}

/// <summary>Has an instance method, which cannot be called remotely.</summary>
public sealed class Counter
{
    public int Value { get; set; }

    public int Next() => ++Value;
}

/// <summary>An exception type of the application, thrown in a context.</summary>
public sealed class InventoryFailedException(string message) : Exception(message)
{
    public int Code { get; init; }
}
