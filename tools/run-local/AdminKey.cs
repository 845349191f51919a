using System.Security.Cryptography;
using System.Text;

namespace Stockcast.RunLocal;

/// <summary>
/// The local admin API key (the reader and writer keys are made from it, <see cref="Launch.RoleKeys"/>):
/// made on this machine once, readable by its owner only, never printed nor committed (.run/ is ignored).
/// </summary>
internal static class AdminKey
{
    public static string ReadOrCreate(string path)
    {
        if (File.Exists(path) && File.ReadAllText(path).Trim() is { Length: > 0 } existing)
        {
            return existing;
        }
        File.Delete(path);
        // 32 random bytes as base64 without '/', '+' and '=': safe in a header, a file and a shell.
        var key = new string([.. Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).Where(char.IsAsciiLetterOrDigit)]);
        using var file = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        file.Write(Encoding.ASCII.GetBytes(key));
        return key;
    }
}
